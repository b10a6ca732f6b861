"""Run events for live viewers (instances_app.sessions), sent after the change is committed."""

from django.db import transaction

from tasks_app.models import Run


def event_of(run: Run, kind: str = "status") -> dict:
    return {
        "kind": kind, "run_id": run.pk, "task_id": run.task_id, "status": run.status, "attempt": run.attempt,
        "worker": run.worker, "exit_code": run.exit_code, "error": run.error[:500],
        "at": (run.finished_at or run.started_at or run.queued_at or run.created_at).isoformat(),
    }


def _send(run_id: int) -> None:
    from instances_app import sessions

    if not sessions.any_sessions():
        return  # nobody watches: no database read
    run = Run.objects.filter(pk=run_id).first()
    if run is not None:
        sessions.publish(event_of(run))


def status_changed(run_id: int) -> None:
    transaction.on_commit(lambda: _send(run_id))


def output(batch: dict) -> int:
    """A shell run's output lines, as its worker sent them."""
    from instances_app import sessions

    if not sessions.any_sessions():
        return 0
    return sessions.publish({"kind": "output", **batch})
