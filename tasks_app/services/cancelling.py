"""Cancel (guarantee 6): recorded first, then carried out, and repeated until it has been."""

from django.db import transaction
from django.utils import timezone

from scheduler_project.errors import Conflict
from tasks_app import states
from tasks_app.models import Run
from tasks_app.services import dispatch, run_events
from tasks_app.services.stopping import forget_queued, node_of, stop_execution


def request_cancel(run_id: int, by: str) -> Run:
    now = timezone.now()
    with transaction.atomic():
        run = Run.objects.select_for_update().filter(pk=run_id).first()
        if run is None:
            raise Run.DoesNotExist(f"run {run_id} does not exist")
        if run.is_final:
            raise Conflict(f"run {run_id} is already {run.status}")
        Run.objects.filter(pk=run_id, cancel_requested_at__isnull=True).update(cancel_requested_at=now, cancelled_by=by)
        # Not on a worker: cancelled now. Should a worker still take its message, the `started`
        # event finds the run cancelled and the execution is stopped at once.
        if Run.objects.filter(pk=run_id, status__in=states.NOT_ON_A_WORKER).move(
            states.CANCELLED, finished_at=now, error=f"cancelled by {by}"
        ):
            execution_id = run.execution_id
            transaction.on_commit(lambda: forget_queued(execution_id))
            run_events.status_changed(run_id)
            run_events.concluded(run_id, run.task_id, states.CANCELLED, run.status, run.attempt)
            transaction.on_commit(lambda: dispatch.release_held(run.task_id))
        else:
            node, execution_id = node_of(run), run.execution_id
            transaction.on_commit(lambda: stop_execution(node, execution_id, f"cancelled by {by}"))
    run.refresh_from_db()
    return run


def repeat_cancels(older_than_seconds: float = 5.0) -> int:
    """Ask again for every running run whose cancel has not taken effect yet."""
    cutoff = timezone.now() - timezone.timedelta(seconds=older_than_seconds)
    pending = Run.objects.filter(status=states.RUNNING, cancel_requested_at__lt=cutoff)
    count = 0
    for run in pending.only("pk", "attempt", "fence", "worker", "node")[:500]:
        stop_execution(node_of(run), run.execution_id, "cancel not yet confirmed")
        count += 1
    return count
