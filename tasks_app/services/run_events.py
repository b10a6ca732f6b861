"""Run events for whoever watches, sent as Django signals: the engine names no subscriber.

instances_app subscribes (its live_events module) and routes them to the live event streams
connected to any instance. Status changes are announced after the change is committed, so a
watcher never sees a state that was rolled back.
"""

import logging

from django.db import transaction
from django.dispatch import Signal

from tasks_app.models import Run

log = logging.getLogger(__name__)

# kwargs: run_id, and where the sender knows them, status (the run's new status) and attempt
# (the attempt it concerns). Sent after commit; receivers read the run themselves if anyone watches.
run_status_changed = Signal()
# kwargs: run_id, task_id, status (the run's new status: final, or retrying), previous_status,
# attempt. Sent INSIDE the transaction that concludes an attempt or a run (conclude_attempt, a
# cancel or a skip), so that what receivers write (notifications_app's outbox) commits or rolls
# back with the change itself. A receiver must not break that transaction: it works in a
# savepoint of its own and raises nothing (concluded() logs what it does raise).
run_concluded = Signal()
# kwargs: batch (a worker's `output` event: run_id, attempt, lines, first_line, dropped, ...).
# Receivers return how many instances they forwarded it to.
run_output = Signal()


def event_of(run: Run, kind: str = "status") -> dict:
    return {
        "kind": kind, "run_id": run.pk, "task_id": run.task_id, "status": run.status, "attempt": run.attempt,
        "worker": run.worker, "exit_code": run.exit_code, "error": run.error[:500],
        "at": (run.finished_at or run.started_at or run.queued_at or run.created_at).isoformat(),
    }


def _send_status(run_id: int, status: str | None, attempt: int | None) -> None:
    for receiver, result in run_status_changed.send_robust(sender=Run, run_id=run_id, status=status, attempt=attempt):
        if isinstance(result, Exception):  # a run's state is recorded whatever happens to its viewers
            log.error("run %s: live status event not delivered by %s: %s", run_id, receiver, result)


def status_changed(run_id: int, status: str | None = None, attempt: int | None = None) -> None:
    transaction.on_commit(lambda: _send_status(run_id, status, attempt))


def concluded(run_id: int, task_id: int, status: str, previous_status: str, attempt: int) -> None:
    """Within the caller's transaction: announce that the run's attempt (or the run) concluded."""
    for receiver, result in run_concluded.send_robust(
        sender=Run, run_id=run_id, task_id=task_id, status=status, previous_status=previous_status, attempt=attempt,
    ):
        if isinstance(result, Exception):
            log.error("run %s: conclusion receiver %s failed: %s", run_id, receiver, result)


def output(batch: dict) -> int:
    """A shell run's output lines, as its worker sent them; returns how many instances got them."""
    forwarded = 0
    for receiver, result in run_output.send_robust(sender=Run, batch=batch):
        if isinstance(result, Exception):
            log.error("run %s: live output not delivered by %s: %s", batch.get("run_id"), receiver, result)
        elif isinstance(result, int):
            forwarded += result
    return forwarded
