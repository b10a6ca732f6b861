"""Since when this control process can receive heartbeats: silence is judged only from then on.

Heartbeats reach the control role over the broker. While the broker is away (or this process's
consumer is reconnecting, or the process was not running at all) no heartbeat can arrive, and a
node's silence over that time says nothing about the node. The heartbeat bootstep
(workers_app.heartbeat) calls `started()` each time this process's consumer has (re)connected
and `stopped()` when it loses the broker; liveness measures a node's silence from the later of
its last heartbeat and `since()`.

Per process, in memory: a control process that just started or reconnected waits a whole
worker_timeout_seconds before it calls any node lost, whatever another control process
thinks. A process that never ran the consumer (a management command, a unit test) judges by
the heartbeats alone (`since()` is None).
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

_since: datetime | None = None
_consuming: bool | None = None  # None: this process never ran a control consumer


def started(at: datetime | None = None) -> None:
    global _since, _consuming
    _since, _consuming = at or timezone.now(), True


def stopped() -> None:
    global _consuming
    _consuming = False


def since(now: datetime | None = None) -> datetime | None:
    """The earliest time from which a node's silence counts; None: no limit. While the consumer
    is disconnected, `now`: nothing is silent yet."""
    if _consuming is False:
        return now or timezone.now()
    return _since


def reset() -> None:
    """Tests: back to a process that never consumed."""
    global _since, _consuming
    _since, _consuming = None, None
