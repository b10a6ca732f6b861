"""The next attempt of a retrying run, once its delay has passed."""

from django.db import transaction
from django.utils import timezone

from tasks_app import states
from tasks_app.models import Run
from tasks_app.services import dispatch

CLEARED = {
    "worker": "", "node": "", "claim": "", "started_at": None, "next_attempt_at": None, "exit_code": None, "http_status": None,
    "stdout": "", "stderr": "", "response_headers": None, "error": "", "queued_at": None,
}


def start_next_attempt(run_id: int) -> bool:
    with transaction.atomic():
        run = Run.objects.select_for_update(of=("self",)).select_related("task").filter(pk=run_id).first()
        if run is None or run.status != states.RETRYING:
            return False
        # retrying -> pending is the table's only way into pending: the next attempt.
        if not Run.objects.filter(pk=run_id, attempt=run.attempt).move(states.PENDING, attempt=run.attempt + 1,
                                                                         **CLEARED):
            return False
        run.refresh_from_db()
        dispatch.enqueue_current_attempt(run, run.task)
        return True


def dispatch_due_retries(now=None, batch: int = 500) -> int:
    now = now or timezone.now()
    due = Run.objects.filter(status=states.RETRYING, next_attempt_at__lte=now).order_by("next_attempt_at")
    return sum(start_next_attempt(pk) for pk in list(due.values_list("pk", flat=True)[:batch]))
