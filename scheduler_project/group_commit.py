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

A pool thread that ended a batch takes the next one itself, and when the buffer is empty it
lingers up to `LINGER_SECONDS` for the next message before it gives its database connection back
and returns to the pool. The control role's connections come from a pool (scheduler_project/
settings.py) that checks each one as it hands it out: taking and giving back a connection per
batch (an empty query's round trip, Django's connection set-up) was a tenth of the control role's
CPU per run in B1 (docs/performance.md). A lingering thread holds its connection at most
`HOLD_CONNECTION_SECONDS` (then gives it back between two batches: the pool's own max_lifetime
and health check apply again), and gives it back after any batch with a database error (after a
cut it is dead: the next batch takes a freshly checked one). At most `max_in_flight` of the pool's
threads are ever taken by batches, lingering or applying; one on a database that takes one
writer at a time (SQLite: GroupCommitTask.batches_at_once).

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
from django.db import close_old_connections, connection

log = logging.getLogger(__name__)

REQUEUE = "requeue"
REQUEUE_PAUSE_SECONDS = 1.0  # a database that is away would otherwise have the batch back at once
# How long a pool thread that applied a batch waits for the next message, connection in hand; and
# how long it keeps one connection at most (see the module's docstring).
LINGER_SECONDS = 0.5
HOLD_CONNECTION_SECONDS = 30.0


def _ignore(result) -> None:
    """The pool's callback: _apply settles its own messages."""


class GroupCommitTask(Task):
    """Base class (`@shared_task(base=GroupCommitTask)`): the task's function takes a list of
    (args, kwargs) and returns a list of verdicts, one per call, in the same order."""

    abstract = True
    max_batch = 100
    max_in_flight = 2

    def batches_at_once(self) -> int:
        """max_in_flight where the database lets two transactions write at once (row locks);
        one where it takes one writer at a time (SQLite): there a second batch only waits for
        the first's lock, holding the messages it took (SQLite's busy handler backs off, up to a
        tenth of a second and more), while the first goes on with small batches; one at a time,
        the messages gather into larger ones instead (tests/e2e, a burst of reports)."""
        return self.max_in_flight if connection.features.has_select_for_update else 1

    def Strategy(self, task, app, consumer, **kwargs):  # noqa: N802  the name Celery looks up
        return _Batcher(task, consumer).on_message


class _Batcher:
    """One per consumer (a consumer restarted after a lost connection builds a new one; the
    messages the old one held unacknowledged are redelivered by the broker)."""

    def __init__(self, task: GroupCommitTask, consumer):
        self.task, self.pool, self.connection_errors = task, consumer.pool, consumer.connection_errors
        self.buffer: deque = deque()
        self.changed = threading.Condition(threading.Lock())  # guards the counts; wakes a lingering thread
        self.max_in_flight = task.batches_at_once()
        self.in_flight = 0  # pool threads taken by batches, applying or lingering
        self.lingering = 0  # of those, the ones waiting for a message

    def on_message(self, message, body, ack, reject, callbacks, **kwargs):
        """Celery's consumer thread, for each message of the task (after broker_guard's checks)."""
        payload = body if body is not None else message.decode()
        if isinstance(payload, dict):  # protocol 1, which broker_guard refuses; kept harmless
            call = (list(payload.get("args") or ()), dict(payload.get("kwargs") or {}))
        else:
            call = (list(payload[0]), dict(payload[1]))
        self.buffer.append((call, ack, reject))
        self._flush()

    def _take(self) -> list:
        """The next batch off the buffer (the caller holds `changed`)."""
        return [self.buffer.popleft() for _ in range(min(self.task.max_batch, len(self.buffer)))]

    def _flush(self) -> None:
        with self.changed:
            if not self.buffer:
                return
            if self.lingering:
                # A lingering thread takes it: it checks the buffer under this lock before it
                # leaves, so the message appended before we took the lock is never left behind.
                self.changed.notify()
                return
            if self.in_flight >= self.max_in_flight:
                return  # a thread that ends its batch takes the next
            batch = self._take()
            self.in_flight += 1
        try:
            # The control role's pool runs threads: a bound method needs no pickling.
            self.pool.apply_async(self._apply, (batch,), callback=_ignore)
        except Exception as exc:  # the pool is stopping: the messages stay unacknowledged, so the broker redelivers them
            with self.changed:
                self.in_flight -= 1
            log.warning("%s %s message(s) left for the broker to deliver again: %s", len(batch), self.task.name, exc)

    def _apply(self, batch: list) -> None:
        """A pool thread: apply the batch and settle its messages, then the next batch, on the
        same database connection, until none comes within LINGER_SECONDS."""
        close_old_connections()  # as Celery's Django fixup does before each task: a broken one is replaced
        held_since = time.monotonic()
        try:
            while batch:
                if time.monotonic() - held_since >= HOLD_CONNECTION_SECONDS:
                    close_old_connections()  # given back to the pool; the next query takes a checked one
                    held_since = time.monotonic()
                if self._settle(batch):
                    close_old_connections()  # a database error: after a cut the connection is dead
                batch = self._next_batch()
                if self.buffer:
                    self._flush()  # more than one batch gathered while this thread was woken: a second thread
        finally:
            # As Celery's Django fixup does after each task: the connection goes back to the pool.
            close_old_connections()
            with self.changed:
                self.in_flight -= 1
            self._flush()  # an exception above may have left messages in the buffer

    def _next_batch(self) -> list:
        """What gathered meanwhile, or what arrives within LINGER_SECONDS; [] to leave."""
        deadline = time.monotonic() + LINGER_SECONDS
        with self.changed:
            while not self.buffer:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return []
                self.lingering += 1
                try:
                    self.changed.wait(remaining)
                finally:
                    self.lingering -= 1
            return self._take()

    def _settle(self, batch: list) -> bool:
        """Apply the batch, acknowledge or requeue each message; True when any went back (a
        database error)."""
        verdicts = self._verdicts([call for call, _, _ in batch])
        requeued = REQUEUE in verdicts
        if requeued:
            time.sleep(REQUEUE_PAUSE_SECONDS)
        for (_, ack, reject), verdict in zip(batch, verdicts, strict=True):
            try:
                if verdict == REQUEUE:
                    reject(log, self.connection_errors, True)
                else:
                    ack(log, self.connection_errors)
            except Exception:  # the connection is gone: the broker redelivers it
                log.exception("could not settle a %s message", self.task.name)
        return requeued

    def _verdicts(self, calls: list) -> list:
        try:
            verdicts = list(self.task.run(calls))
            if len(verdicts) != len(calls):
                raise ValueError(f"{len(verdicts)} verdicts for {len(calls)} calls")
            return verdicts
        except Exception:
            log.exception("a batch of %s %s message(s) failed as a whole: they go back to the queue",
                          len(calls), self.task.name)
            return [REQUEUE] * len(calls)
