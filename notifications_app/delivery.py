"""Delivering the notification outbox: after commit, by the control role, each notification
once, whatever the number of control processes and instances.

Flow. After the commit that wrote them (kick), a control process hands the ids straight to its
delivery threads (submit); any other process (the api, for a cancel) sends
`notifications.deliver(ids)` to the notification queue, which the control role consumes and
hands on the same way. `[notifications] concurrency` threads per control process, apart from
the Celery pool that applies run events, so a target that hangs holds delivery threads, never
the engine. The sweep
(`control.sweep_notifications`) submits whatever is due and nobody holds: retries whose
backoff has passed, notifications whose message was lost (a kill between commit and send, a
broker outage), claims abandoned by a process that died mid-send.

Claims. A delivery thread first claims the row with a conditional UPDATE that must change
exactly one row: pending and due, or sending with an expired claim. It sets a fresh token and
`claimed_until` (the send timeout plus a margin); only the token's holder records the outcome.
Two processes handed the same id (a message and a sweep, two instances) race on the UPDATE and
one wins: a notification is sent once. What no claim can prevent is a process killed after
the target accepted the request and before the outcome was recorded: the claim expires and the
notification is sent again. Receivers that must not act twice dedupe on the body's `id`
(also the X-Taskplane-Delivery header), stable across attempts.

Retries: 5xx, 408, 425, 429, timeouts, connection and SMTP errors are retried after
retry_backoff_seconds, doubling up to retry_backoff_max_seconds; after max_attempts the
notification is given up (`failed`) with the last error. A 3xx or other 4xx, a refused target,
a deleted or disabled channel are given up at once. Every attempt is a DeliveryAttempt row.
"""

from __future__ import annotations

import logging
import os
import queue
import secrets
import threading

from celery import current_app
from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from notifications_app import senders
from notifications_app.models import DeliveryAttempt, Notification
from scheduler_project import metrics, wire

log = logging.getLogger(__name__)
CLAIM_MARGIN_SECONDS = 5  # beyond twice the send timeout (connect + read): a claim outlives any send it covers
BACKLOG = 10000  # ids queued in one process; past it the sweep picks the rest up later


def owner() -> str:
    return f"{settings.INSTANCE_ID}:{os.getpid()}"


# ----- after commit: tell the control role


def kick(ids: list[int]) -> None:
    """Have these (committed) notifications delivered now. In a control process: straight to its
    own delivery threads (no broker round trip, and no wait behind run events for a pool
    thread). Elsewhere (the api: a cancel; manage.py): `notifications.deliver` to the
    notification queue, which the control role consumes. Should the broker be away, or the
    process die first, the sweep delivers them: they are rows, not messages."""
    if settings.ROLE == "control":
        submit(ids)
        return
    try:
        current_app.send_task(wire.NOTIFY, args=[list(ids)], queue=settings.TP.message_queue.notification_queue)
    except Exception as exc:  # noqa: BLE001
        log.warning("notifications %s: not handed to the control role now (%s); the sweep will", ids, exc)


# ----- in the control role: the delivery threads


class DeliveryPool:
    """`[notifications] concurrency` daemon threads taking notification ids from a queue. An id
    already queued in this process is not queued twice; a full queue drops the id (the row
    stays due and the sweep submits it again)."""

    def __init__(self, size: int):
        self.size = size
        self.jobs: queue.Queue[int] = queue.Queue(maxsize=BACKLOG)
        self.queued: set[int] = set()
        self.lock = threading.Lock()
        self.threads = []
        for n in range(size):
            thread = threading.Thread(target=self._work, name=f"notify-{n}", daemon=True)
            thread.start()
            self.threads.append(thread)

    def submit(self, ids) -> int:
        taken = 0
        for nid in ids:
            with self.lock:
                if nid in self.queued:
                    continue
                self.queued.add(nid)
            try:
                self.jobs.put_nowait(nid)
                taken += 1
            except queue.Full:
                with self.lock:
                    self.queued.discard(nid)
        return taken

    def busy(self) -> int:
        return len(self.queued)

    def _work(self):
        while True:
            nid = self.jobs.get()
            try:
                deliver(nid)
            except Exception:
                log.exception("notification %s: delivery failed", nid)
            finally:
                with self.lock:
                    self.queued.discard(nid)
                try:
                    connection.close()  # back to the pool: a delivery thread holds no connection idle
                except Exception:  # noqa: BLE001
                    pass


_pool: DeliveryPool | None = None
_pool_lock = threading.Lock()


def pool() -> DeliveryPool:
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                _pool = DeliveryPool(settings.TP.notifications.concurrency)
    return _pool


def submit(ids) -> int:
    return pool().submit(int(i) for i in ids)


def due_ids(now=None, limit: int = 500) -> list[int]:
    """Pending notifications whose time has come, and claims that expired (their process died)."""
    now = now or timezone.now()
    due = Notification.objects.filter(
        Q(status=Notification.Status.PENDING, next_attempt_at__lte=now)
        | Q(status=Notification.Status.SENDING, claimed_until__lt=now)
    ).order_by("next_attempt_at")
    return list(due.values_list("pk", flat=True)[:limit])


def submit_due() -> int:
    """The sweep's part: hand what is due to this process's delivery threads, as much as they
    can take before the next sweep."""
    p = pool()
    room = max(0, p.size * 50 - p.busy())
    return p.submit(due_ids(limit=room)) if room else 0


# ----- one delivery


def claim(notification_id: int, now=None) -> str | None:
    """Take the notification for one attempt; the token, or None if it is not ours to send."""
    now = now or timezone.now()
    token = secrets.token_hex(8)
    until = now + timezone.timedelta(seconds=settings.TP.notifications.timeout_seconds * 2 + CLAIM_MARGIN_SECONDS)
    claimed = Notification.objects.filter(pk=notification_id).filter(
        Q(status=Notification.Status.PENDING, next_attempt_at__lte=now)
        | Q(status=Notification.Status.SENDING, claimed_until__lt=now)
    ).update(status=Notification.Status.SENDING, claim=token, claimed_until=until, attempts=F("attempts") + 1)
    return token if claimed == 1 else None


def backoff_seconds(attempts: int) -> float:
    n = settings.TP.notifications
    return min(n.retry_backoff_max_seconds, n.retry_backoff_seconds * 2 ** max(0, attempts - 1))


def deliver(notification_id: int) -> str:
    """Claim, send, record. Returns what happened (for logs and tests)."""
    close_old_connections()
    token = claim(notification_id)
    if token is None:
        return "not claimed"
    # One query for both; no row: the channel is gone (db_constraint=False: deleted meanwhile).
    notification = Notification.objects.select_related("channel").filter(pk=notification_id).first()
    channel = notification.channel if notification is not None else None
    if notification is None:
        notification = Notification.objects.get(pk=notification_id)
        outcome = senders.Outcome(False, error="the channel was deleted", permanent=True)
    elif not channel.enabled and notification.event != "test":
        outcome = senders.Outcome(False, error=f"channel {channel.name} is disabled", permanent=True)
    else:
        connection.close()  # no connection held while waiting on the target
        outcome = senders.send(channel, notification)
    return record(notification, token, outcome, channel.type if channel else "unknown")


def record(notification: Notification, token: str, outcome: senders.Outcome, channel_type: str) -> str:
    now = timezone.now()
    attempts = notification.attempts
    n = settings.TP.notifications
    if outcome.ok:
        status, fields = Notification.Status.DELIVERED, {"delivered_at": now, "last_error": ""}
    elif outcome.permanent or attempts >= n.max_attempts or notification.event == "test":
        reason = outcome.error if outcome.permanent or notification.event == "test" else \
            f"gave up after {attempts} attempts; last: {outcome.error}"
        status, fields = Notification.Status.FAILED, {"last_error": reason}
    else:
        status = Notification.Status.PENDING
        fields = {"next_attempt_at": now + timezone.timedelta(seconds=backoff_seconds(attempts)),
                  "last_error": outcome.error}
    with transaction.atomic():
        # Only the claim's holder records: a claim that expired meanwhile belongs to someone else.
        moved = Notification.objects.filter(pk=notification.pk, claim=token, status=Notification.Status.SENDING).update(
            status=status, claim="", claimed_until=None, response_code=outcome.response_code, **fields)
        DeliveryAttempt.objects.bulk_create([DeliveryAttempt(
            notification_id=notification.pk, attempt=attempts, at=now, duration_ms=outcome.duration_ms, ok=outcome.ok,
            response_code=outcome.response_code, error=outcome.error, by=owner()[:200],
        )], ignore_conflicts=True)
    result = {"delivered": "delivered", "failed": "failed", "pending": "retrying"}[status]
    metrics.incr("taskplane_notification_deliveries_total", {"channel_type": channel_type, "result": result})
    if outcome.ok:
        metrics.observe("taskplane_notification_latency_seconds", {"channel_type": channel_type},
                        max(0.0, (now - notification.created_at).total_seconds()))
    if not moved:
        log.warning("notification %s: claim expired during attempt %s; its outcome (%s) was not recorded",
                    notification.pk, attempts, result)
    elif outcome.ok:
        log.info("notification %s (%s) delivered, attempt %s", notification.pk, notification.event, attempts)
    else:
        log.warning("notification %s (%s) attempt %s failed: %s%s", notification.pk, notification.event, attempts,
                    outcome.error, "" if status == Notification.Status.PENDING else " (given up)")
    return result
