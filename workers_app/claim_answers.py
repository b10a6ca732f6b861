"""The node's own answer queue: the control role's answers to its deliveries' start claims.

An answer concerns one node, so it goes to that node alone: a JSON object (wire.ANSWER_FIELDS) on
the queue `<task_queue>.answers.<node>` (scheduler_project.queues.answer_queue), which this
bootstep consumes in the worker's main process, as it did the remote-control command before, and
leaves in the node's ExecutionRegistry directory for the pool child that waits for it
(workers_app/execution.py, claim_start). The remote-control broadcast it replaces reached every
process listening for remote control on the broker, each of which decoded every run's answer
only to drop it: every worker node, every control instance, and any other Celery worker of the
same vhost or Redis database (a bystander Celery worker spent about 0.5 ms of CPU per run:
docs/performance.md). The node still serves that command (workers_app/control_commands.py) for
control roles of an older version.

Not acknowledged (no_ack): an answer lost on the way (the process dies between receipt and the
file) costs its delivery one more ask, CLAIM_ASK_AGAIN_SECONDS later, never a second start. The
queue is not durable and, on RabbitMQ, drops what no delivery still waits for and disappears an
hour after its node stopped consuming it. A message that is no answer is refused like any forged
message (scheduler_project/broker_guard.py): logged and recorded by the control role as a dead
letter; the consumer goes on.
"""

from __future__ import annotations

import logging

from celery import bootsteps
from django.conf import settings
from kombu import Consumer, Queue
from kombu.exceptions import ContentDisallowed

from scheduler_project import wire
from scheduler_project.broker_guard import describe, refuse_record
from scheduler_project.queues import ANSWER_MESSAGE_TTL_SECONDS, ANSWER_QUEUE_EXPIRES_SECONDS, answer_queue
from workers_app.execution import registry_for
from workers_app.heartbeat import is_execution_worker

log = logging.getLogger(__name__)


def answers_of(node: str) -> Queue:
    """The node's answer queue as it declares it (the control role publishes to it by name, through
    the default exchange: nothing to bind)."""
    return Queue(answer_queue(settings.TP.message_queue.task_queue, node), durable=False,
                 auto_delete=False, message_ttl=ANSWER_MESSAGE_TTL_SECONDS, expires=ANSWER_QUEUE_EXPIRES_SECONDS)


def parse_answer(body) -> tuple[str, str, str, str]:
    """(execution id, claim, verdict, reason) of an answer's body; ValueError naming what is wrong
    (the ids and the verdict are checked where they are written: ExecutionRegistry.write_verdict).
    Fields it does not know are left alone: a control role of a later version may send more."""
    if not isinstance(body, dict):
        raise ValueError(f"an answer is a JSON object, got {type(body).__name__}")
    values = tuple(body.get(name, "" if name == "reason" else None) for name in wire.ANSWER_FIELDS)
    wrong = [name for name, value in zip(wire.ANSWER_FIELDS, values, strict=True) if not isinstance(value, str)]
    if wrong:
        raise ValueError(f"{', '.join(wrong)} must be text")
    return values


class ClaimAnswers(bootsteps.ConsumerStep):
    """Takes the node's answers and leaves each in its registry. Active on worker nodes only (the
    ones consuming execution queues, as the heartbeat decides)."""

    requires = {"celery.worker.consumer.tasks:Tasks"}

    def __init__(self, parent, **kwargs):
        super().__init__(parent, **kwargs)
        self.node = ""

    def start(self, c):
        if not is_execution_worker(c):
            self.consumers = []
            return
        self.node = c.hostname
        super().start(c)  # a channel of the consumer's connection, get_consumers, consume

    def get_consumers(self, channel):
        return [Consumer(channel, queues=[answers_of(self.node)], callbacks=[self.on_answer],
                         on_decode_error=self.on_decode_error, accept=["json"], no_ack=True)]

    def on_answer(self, body, message) -> None:
        try:
            execution_id, claim, verdict, reason = parse_answer(body)
            registry_for(self.node).write_verdict(execution_id, claim, verdict, reason)
        except ValueError as exc:
            self.refuse(message, "malformed", f"not a start claim's answer: {exc}")
        except OSError as exc:  # the registry's directory: the delivery asks again
            log.error("an answer to a start claim was not kept: %s", exc)
        except Exception as exc:  # noqa: BLE001  no message, whatever its bytes, stops the consumer
            log.exception("an answer to a start claim could not be handled")
            self.refuse(message, "malformed", f"{type(exc).__name__}: {exc}")

    def on_decode_error(self, message, exc) -> None:
        self.refuse(message, "content_type" if isinstance(exc, ContentDisallowed) else "malformed", str(exc))

    def refuse(self, message, reason: str, detail: str) -> None:
        refuse_record(describe(message, reason, detail, self.node, "worker"))
