"""The next attempt of a retrying run, and replays of dead runs."""

from django.db import transaction
from django.utils import timezone

from tasks_app import states
from tasks_app.models import Run
from tasks_app.services import dispatch
from scheduler_project.errors import Conflict

CLEARED = {
    "worker": "", "started_at": None, "next_attempt_at": None, "exit_code": None, "http_status": None,
    "stdout": "", "stderr": "", "response_headers": None, "error": "", "queued_at": None,
}


def start_next_attempt(run_id: int) -> bool:
    with transaction.atomic():
        run = Run.objects.select_for_update(of=("self",)).select_related("task").filter(pk=run_id).first()
        if run is None or run.status != states.RETRYING:
            return False
        moved = Run.objects.filter(pk=run_id, status=states.RETRYING, attempt=run.attempt).update(
            status=states.PENDING, attempt=run.attempt + 1, **CLEARED
        )
        if not moved:
            return False
        run.refresh_from_db()
        dispatch.enqueue_current_attempt(run, run.task)
        return True


def dispatch_due_retries(now=None, batch: int = 500) -> int:
    now = now or timezone.now()
    due = Run.objects.filter(status=states.RETRYING, next_attempt_at__lte=now).order_by("next_attempt_at")
    return sum(start_next_attempt(pk) for pk in list(due.values_list("pk", flat=True)[:batch]))


def replay(run: Run, params: dict | None = None) -> Run:
    """A dead (or otherwise finished-unsuccessfully) run, run again as a new run."""
    if run.status not in (states.DEAD, states.FAILED, states.TIMED_OUT, states.LOST, states.CANCELLED):
        raise Conflict(f"run {run.pk} is {run.status}: only dead, failed, timed out, lost or cancelled runs replay")
    merged = {**run.params, **(params or {})}
    return dispatch.create_run(run.task, Run.Trigger.REPLAY, params=merged, replay_of=run)
