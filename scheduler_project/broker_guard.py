"""The gate every message passes before a role's consumer acts on it (issue 15 items 2, 3, 5;
DESIGN.md guarantee 10: the broker is a trust boundary).

Anyone holding broker credentials (every worker node) can publish any bytes to any queue. Celery's
consumer trusts what it takes: a JSON body that is not `[args, kwargs, embed]`, a header of the
wrong type, an `eta` that is no date, raised out of its message handler and stopped the whole
worker, and the unacked message came back on every restart (a crash loop). And it runs whatever
registered task a message names, so a `workers.execute` published to the control queue ran its
shell command on the host holding the database credentials.

`GuardedConsumer` (settings `CELERY_WORKER_CONSUMER`) checks each message before Celery's own
handler sees it, and refuses:
- `content_type`: a body not in an accepted content type (JSON only: never pickle or YAML);
- `malformed`: not a Celery protocol 2 message (headers, id, the `[args, kwargs, embed]` body,
  dates and limits of the right types; callbacks, errbacks, chains and chords, which we never
  send and which would make the consumer send tasks of a stranger's choosing);
- `unknown_task`: a task name this process does not know;
- `wrong_role`: a task of the other role (a worker runs only `workers.*`; a control role only
  `control.*` and `notifications.deliver`; control never runs an execution).
Whatever still raises in Celery's handler is refused the same way (`malformed`): no message,
whatever its bytes, ends the consumer.

A refused message is rejected without requeue (dropped by the broker, never redelivered), logged
once at WARNING with what it was, and reported to the control role as `control.message_rejected`
(`wire.REJECTED`, on the control queue: worker nodes hold no database), which records it as a
dead letter (workers_app `RejectedMessage`: the API's `/api/v1/rejected-messages/`, the admin,
`taskplane_rejected_messages_total{reason}`).
"""

from __future__ import annotations

import json
import logging
import os
from datetime import datetime

from celery.worker.consumer import Consumer
from kombu.serialization import prepare_accept_content

from scheduler_project import wire
from scheduler_project.metrics.definitions import REJECTION_REASONS

log = logging.getLogger("taskplane.broker")

REASONS = REJECTION_REASONS
BODY_EXCERPT = 2048  # characters of a refused body kept in its record
HEADERS_EXCERPT = 4096
WORKER_TASKS = frozenset({wire.EXECUTE, wire.PING})
CONTROL_EXTRA = frozenset({wire.NOTIFY})
_OPTIONAL_TEXT_HEADERS = ("root_id", "parent_id", "group", "argsrepr", "kwargsrepr", "origin", "shadow", "lang",
                          "replaced_task_nesting", "ignore_result")
_NEVER_SENT = ("callbacks", "errbacks", "chain", "chord")


class Refused(Exception):
    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason, self.detail = reason, detail


def role_accepts(role: str | None, name: str) -> bool:
    """Whether a consumer of this role may run the task `name` (None: a process of no known
    role, e.g. one consuming both sides in a test, runs any task it knows)."""
    if role == "worker":
        return name in WORKER_TASKS
    if role == "control":
        return name.startswith("control.") or name in CONTROL_EXTRA
    return True


def role_of(queues) -> str | None:
    """This consumer's role: TASKPLANE_ROLE as `serve` sets it; else (celery started by hand) the
    queues it consumes tell."""
    role = os.environ.get("TASKPLANE_ROLE", "")
    if role in ("control", "worker"):
        return role
    from django.conf import settings

    mq = settings.TP.message_queue
    control = {mq.control_queue, mq.status_queue, mq.heartbeat_queue, mq.notification_queue}
    names = set(queues)
    takes_control = bool(names & control)
    takes_executions = any(name.startswith(f"{mq.task_queue}.") for name in names)
    if takes_control and not takes_executions:
        return "control"
    if takes_executions and not takes_control:
        return "worker"
    return None


def check(message, accept: set, registered, role: str | None) -> None:
    """Raise Refused when this message must not reach Celery's handler."""
    headers = message.headers
    if not isinstance(headers, dict) or "task" not in headers:
        raise Refused("malformed", "not a Celery protocol 2 message (no task header)")
    name = headers["task"]
    if not isinstance(name, str) or not name:
        raise Refused("malformed", f"the task header is not a name: {name!r:.100}")
    if not isinstance(headers.get("id"), str) or not headers["id"]:
        raise Refused("malformed", "the message has no id")
    if message.content_type not in accept:
        raise Refused("content_type", f"content type {message.content_type!r:.100} is not accepted (JSON only)")
    if name not in registered:
        raise Refused("unknown_task", f"no task named {name!r:.200}")
    if not role_accepts(role, name):
        raise Refused("wrong_role", f"{name} is not a task of the {role} role")
    try:
        body = message.decode()
    except Exception as exc:  # noqa: BLE001  whatever the bytes: a refusal, not a crash
        raise Refused("malformed", f"the body does not decode: {type(exc).__name__}: {exc}") from None
    if not (isinstance(body, (list, tuple)) and len(body) == 3 and isinstance(body[0], (list, tuple))
            and isinstance(body[1], dict) and (body[2] is None or isinstance(body[2], dict))):
        raise Refused("malformed", "the body is not Celery's [args, kwargs, embed]")
    if not all(isinstance(key, str) for key in body[1]):
        raise Refused("malformed", "keyword argument names must be strings")
    embed = body[2] or {}
    if any(embed.get(field) for field in _NEVER_SENT) or headers.get("chord"):
        raise Refused("malformed", "callbacks, errbacks, chains and chords are not accepted")
    for field in ("eta", "expires"):
        value = headers.get(field)
        if value is None:
            continue
        try:
            datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise Refused("malformed", f"the {field} header is not an ISO 8601 time: {value!r:.100}") from None
    limits = headers.get("timelimit")
    if limits is not None and not (isinstance(limits, (list, tuple)) and len(limits) == 2 and all(
            limit is None or (isinstance(limit, (int, float)) and not isinstance(limit, bool)) for limit in limits)):
        raise Refused("malformed", f"the timelimit header is not [soft, hard]: {limits!r:.100}")
    retries = headers.get("retries", 0)
    if not isinstance(retries, int) or isinstance(retries, bool) or retries < 0:
        raise Refused("malformed", f"the retries header is not a count: {retries!r:.100}")
    for field in _OPTIONAL_TEXT_HEADERS:
        value = headers.get(field)
        if value is not None and not isinstance(value, (str, int, bool)):
            raise Refused("malformed", f"the {field} header has the wrong type")


def describe(message, reason: str, detail: str, node: str, role: str | None) -> dict:
    """What the dead-letter record keeps of a refused message: JSON-safe and bounded."""
    headers = getattr(message, "headers", None)
    info = getattr(message, "delivery_info", None) or {}
    properties = getattr(message, "properties", None) or {}
    body = getattr(message, "body", b"")
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    elif not isinstance(body, str):
        body = repr(body)
    try:
        headers_text = json.dumps(headers, default=repr)
    except (TypeError, ValueError):
        headers_text = repr(headers)
    task = headers.get("task") if isinstance(headers, dict) else None
    message_id = (headers.get("id") if isinstance(headers, dict) else None) or properties.get("correlation_id")
    return {
        "reason": reason,
        "detail": str(detail)[:1000],
        "queue": str(info.get("routing_key") or "")[:255],
        "exchange": str(info.get("exchange") or "")[:255],
        "task_name": str(task or "")[:255],
        "message_id": str(message_id or "")[:255],
        "content_type": str(getattr(message, "content_type", "") or "")[:255],
        "headers": headers_text[:HEADERS_EXCERPT],
        "body": body[:BODY_EXCERPT],
        "body_size": len(getattr(message, "body", b"") or b""),
        "node": str(node or "")[:255],
        "role": role or "",
    }


def report(record: dict) -> None:
    """Hand a refusal's record to the control role, which keeps it (worker nodes hold no
    database; the control role takes the same path, off its consumer's event loop)."""
    from celery import current_app
    from django.conf import settings

    current_app.send_task(wire.REJECTED, args=[record], queue=settings.TP.message_queue.control_queue)


def refuse_record(record: dict) -> None:
    log.warning("refused a broker message (%s): %s; queue=%r task=%r id=%r content_type=%r node=%s",
                record["reason"], record["detail"], record["queue"], record["task_name"], record["message_id"],
                record["content_type"], record["node"], extra={"rejection": record["reason"]})
    try:
        report(record)
    except Exception:  # noqa: BLE001  the broker being away must not end the consumer either
        log.exception("the refusal of message %r could not be reported to the control role", record["message_id"])


class GuardedConsumer(Consumer):
    """Celery's consumer with the gate in front of its task handler, and its own refusal paths
    (unknown message, unknown task, invalid task, undecodable body) recorded the same way."""

    _role: str | None = None
    _role_known = False

    @property
    def role(self) -> str | None:
        if not self._role_known:
            self._role = role_of(self.app.amqp.queues.consume_from or {})
            self._role_known = True
        return self._role

    def refuse(self, message, reason: str, detail: str) -> None:
        try:
            message.reject(requeue=False)
        except Exception:  # noqa: BLE001  already acked by a handler that raised later
            log.debug("refused message was already settled", exc_info=True)
        refuse_record(describe(message, reason, detail, self.hostname, self.role))

    def create_task_handler(self, *args, **kwargs):
        handler = super().create_task_handler(*args, **kwargs)
        accept = prepare_accept_content(self.app.conf.accept_content)
        registered = self.app.tasks

        def on_task_received(message):
            try:
                check(message, accept, registered, self.role)
            except Refused as refused:
                return self.refuse(message, refused.reason, refused.detail)
            except Exception as exc:  # noqa: BLE001
                return self.refuse(message, "malformed", f"{type(exc).__name__}: {exc}")
            try:
                return handler(message)
            except Exception as exc:  # noqa: BLE001  no message, whatever its bytes, stops the consumer
                log.exception("Celery's handler failed on message %r", getattr(message, "headers", None))
                return self.refuse(message, "malformed", f"{type(exc).__name__}: {exc}")

        return on_task_received

    def on_unknown_message(self, body, message):
        self.refuse(message, "malformed", "not a Celery message")

    def on_unknown_task(self, body, message, exc):
        self.refuse(message, "unknown_task", f"unknown task: {exc}")

    def on_invalid_task(self, body, message, exc):
        reason = "content_type" if type(exc).__name__ == "ContentDisallowed" else "malformed"
        self.refuse(message, reason, f"{type(exc).__name__}: {exc}")

    def on_decode_error(self, message, exc):
        self.refuse(message, "malformed", f"the body does not decode: {type(exc).__name__}: {exc}")
