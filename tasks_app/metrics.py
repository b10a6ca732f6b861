"""The engine's metrics: what it calls where an event happens, so each is counted once.

Both run after the transaction commits (transaction.on_commit, robust): a rolled-back
conclusion counts nothing, no Redis round trip happens while the run's row is locked, and
a failure to count never reaches the engine. Within a batch of status events
(counted_together), the figures of the whole batch are written in one round trip; and batches
that follow each other within counters.COALESCE_SECONDS are written together (coalesce=True:
at a quiet queue's pace, batches of one, that was a round trip per event).
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

from django.db import transaction

from scheduler_project.metrics import counters
from tasks_app import states
from tasks_app.models import RunAttempt

_batch = threading.local()


def _after_commit(increments: list, observations: list) -> None:
    pending = getattr(_batch, "pending", None)
    if pending is not None:
        pending[0].extend(increments)
        pending[1].extend(observations)
        return
    transaction.on_commit(lambda: counters.record(increments=increments, observations=observations, coalesce=True),
                          robust=True)


@contextmanager
def counted_together(batch_size: int = 0):
    """Within the caller's transaction (a batch of status events, events.apply_batch): keep the
    figures of every conclusion and start, with the batch's size when given, and write them in
    one Redis round trip once it commits. A block that raises counts nothing (the transaction
    rolls back)."""
    _batch.pending = ([], [status_batch_size(batch_size)] if batch_size else [])
    try:
        yield
        increments, observations = _batch.pending
        if increments or observations:
            transaction.on_commit(lambda: counters.record(increments=increments, observations=observations,
                                                          coalesce=True), robust=True)
    finally:
        _batch.pending = None


def status_batch_size(size: int) -> tuple:
    """The observation of a batch of `size` status events the control role took together."""
    return ("taskplane_status_batch_size", None, size)


def status_batch_applied(size: int) -> None:
    """A batch whose own transaction rolled back (events.apply_batch): its size, observed alone."""
    counters.record(observations=[status_batch_size(size)], coalesce=True)


def attempt_concluded(task_type: str, outcome: str, target: str, started_at, finished_at) -> None:
    """An attempt ended with `outcome` and moved its run to `target` (conclude_attempt).

    started_at is the attempt's start when it is known; when the `finished` event overtook
    `started`, it is None and the duration is observed by attempt_started_late instead."""
    status = states.CANCELLED if target == states.CANCELLED else outcome
    failed = outcome in states.RETRYABLE_OUTCOMES and target != states.CANCELLED

    # One record(): one Redis round trip per conclusion (per batch) rather than one per figure.
    increments = [("tasks_executed_total", {"task_type": task_type, "status": status}, 1)]
    if failed:
        increments.append(("scheduler_task_failures_total", {"task_type": task_type, "status": target}, 1))
    observations = []
    if started_at is not None and finished_at is not None:
        observations.append(("task_execution_duration_seconds", {"task_type": task_type},
                             (finished_at - started_at).total_seconds()))
    _after_commit(increments, observations)


def attempt_started_late(run_id: int, attempt: int, started_at) -> None:
    """The `started` event of an attempt that had already concluded arrived (apply_started's
    "late" branch, which updates the attempt's start exactly once): observe its duration now."""

    def observe():
        row = RunAttempt.objects.filter(run_id=run_id, attempt=attempt).values_list(
            "finished_at", "run__task__type").first()
        if row and row[0] is not None:
            counters.observe("task_execution_duration_seconds", {"task_type": row[1]},
                             (row[0] - started_at).total_seconds())

    transaction.on_commit(observe, robust=True)


def fire_started(scheduled_for, started_at) -> None:
    """The first attempt of a scheduled run started (apply_started, in the transaction that
    records the start once: applied, or late after its own `finished`): observe the fire lag,
    from the fire time to the worker's start stamp. A retry's start is not a fire, and a
    replay or a manual run has no fire time."""
    lag = (started_at - scheduled_for).total_seconds()
    _after_commit([], [("taskplane_fire_lag_seconds", None, max(0.0, lag))])
