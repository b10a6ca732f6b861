"""A Celery task whose messages are applied in batches, group-commit style (issue 20).

Celery runs one task call per message: for the status queue that is one Celery request, one
database transaction and one commit per `started` or `finished` report, which made the control
role the largest CPU cost of a run (docs/performance.md, B1). A `GroupCommitTask` instead keeps
the messages it receives in a buffer and hands the pool a batch of them:

- when fewer than `max_in_flight` batches are being applied, a message that arrives is applied at
  once, alone: at a low rate nothing waits (no flush timer, so a `started` claim, which its worker
  waits for, is answered as fast as before);
- while `max_in_flight` batches are being applied, arriving messages gather in the buffer, and
  the next batch takes up to `max_batch` of them when one of those ends. The busier the queue,
  the larger the batches and the fewer the commits: the cost of a commit is shared by its batch.

The task's body takes the list of calls (args, kwargs) of its batch and returns one verdict per
call: `REQUEUE` puts that message back on its queue (a database error: applied again later,
never lost), anything else acknowledges it. Messages stay unacknowledged until their batch has
been applied and committed (acks_late), so a control role killed mid-batch loses nothing: the
broker delivers them again, and applying an event twice changes nothing (guarantee 3).

How many messages can wait in the buffer is bounded by the consumer's prefetch (unacknowledged
messages it may hold), set per role in scheduler_project/roles.py.

celery-batches (the library made for buffering a task's messages) was the first choice; its
releases require celery<5.7 (we run 5.7.0) and it flushes on a count or a timer, which would add
its timer's interval to every claim at a low rate.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque

from celery import Task
from django.db import close_old_connections

log = logging.getLogger(__name__)

REQUEUE = "requeue"
REQUEUE_PAUSE_SECONDS = 1.0  # a database that is away would otherwise have the batch back at once


def _ignore(result) -> None:
    """The pool's callback: _apply settles its own messages."""


class GroupCommitTask(Task):
    """Base class (`@shared_task(base=GroupCommitTask)`): the task's function takes a list of
    (args, kwargs) and returns a list of verdicts, one per call, in the same order."""

    abstract = True
    max_batch = 100
    max_in_flight = 2

    def Strategy(self, task, app, consumer, **kwargs):  # noqa: N802  the name Celery looks up
        return _Batcher(task, consumer).on_message


class _Batcher:
    """One per consumer (a consumer restarted after a lost connection builds a new one; the
    messages the old one held unacknowledged are redelivered by the broker)."""

    def __init__(self, task: GroupCommitTask, consumer):
        self.task, self.pool, self.connection_errors = task, consumer.pool, consumer.connection_errors
        self.buffer: deque = deque()
        self.lock = threading.Lock()
        self.in_flight = 0

    def on_message(self, message, body, ack, reject, callbacks, **kwargs):
        """Celery's consumer thread, for each message of the task (after broker_guard's checks)."""
        payload = body if body is not None else message.decode()
        if isinstance(payload, dict):  # protocol 1, which broker_guard refuses; kept harmless
            call = (list(payload.get("args") or ()), dict(payload.get("kwargs") or {}))
        else:
            call = (list(payload[0]), dict(payload[1]))
        self.buffer.append((call, ack, reject))
        self._flush()

    def _flush(self) -> None:
        with self.lock:
            if self.in_flight >= self.task.max_in_flight or not self.buffer:
                return  # a batch that ends calls this again
            batch = [self.buffer.popleft() for _ in range(min(self.task.max_batch, len(self.buffer)))]
            self.in_flight += 1
        try:
            # The control role's pool runs threads: a bound method needs no pickling.
            self.pool.apply_async(self._apply, (batch,), callback=_ignore)
        except Exception as exc:  # the pool is stopping: the messages stay unacknowledged, so the broker redelivers them
            with self.lock:
                self.in_flight -= 1
            log.warning("%s %s message(s) left for the broker to deliver again: %s", len(batch), self.task.name, exc)

    def _apply(self, batch: list) -> None:
        """A pool thread: apply the batch, settle each message, then take the next batch."""
        try:
            verdicts = self._verdicts([call for call, _, _ in batch])
            if REQUEUE in verdicts:
                time.sleep(REQUEUE_PAUSE_SECONDS)
            for (_, ack, reject), verdict in zip(batch, verdicts, strict=True):
                try:
                    if verdict == REQUEUE:
                        reject(log, self.connection_errors, True)
                    else:
                        ack(log, self.connection_errors)
                except Exception:  # the connection is gone: the broker redelivers it
                    log.exception("could not settle a %s message", self.task.name)
        finally:
            with self.lock:
                self.in_flight -= 1
            self._flush()

    def _verdicts(self, calls: list) -> list:
        # As Celery's Django fixup does around each task: a connection broken or past its age
        # is replaced before the batch uses it and closed after.
        close_old_connections()
        try:
            verdicts = list(self.task.run(calls))
            if len(verdicts) != len(calls):
                raise ValueError(f"{len(verdicts)} verdicts for {len(calls)} calls")
            return verdicts
        except Exception:
            log.exception("a batch of %s %s message(s) failed as a whole: they go back to the queue",
                          len(calls), self.task.name)
            return [REQUEUE] * len(calls)
        finally:
            close_old_connections()
