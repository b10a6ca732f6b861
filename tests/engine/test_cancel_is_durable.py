import pytest

from scheduler_project.errors import Conflict
from tasks_app import states
from tasks_app.models import Run
from tasks_app.services import cancelling, dispatch, events


def test_a_queued_run_is_cancelled_at_once_and_its_late_start_is_refused(make_task, no_publish):
    run = dispatch.create_run(make_task(), Run.Trigger.MANUAL)
    cancelled = cancelling.request_cancel(run.pk, by="alice")
    assert (cancelled.status, cancelled.cancelled_by) == ("cancelled", "alice")
    started = {"kind": "started", "run_id": run.pk, "attempt": 1, "fence": cancelled.fence,
               "worker": "w", "node": "worker@w"}
    assert events.apply_event(started) == "stopped"
    assert Run.objects.get(pk=run.pk).status == states.CANCELLED


def test_a_running_run_ends_cancelled_even_if_the_kill_looks_like_a_failure(make_task, no_publish):
    run = dispatch.create_run(make_task(max_retries=3), Run.Trigger.MANUAL)
    base = {"run_id": run.pk, "attempt": 1, "fence": run.fence, "worker": "w", "node": "worker@w"}
    events.apply_event({**base, "kind": "started"})
    assert cancelling.request_cancel(run.pk, by="bob").status == states.RUNNING  # asked, not yet done
    events.apply_event({**base, "kind": "finished", "status": "failed", "exit_code": -15})
    run.refresh_from_db()
    assert run.status == states.CANCELLED  # not retried


def test_cancelling_a_finished_run_is_a_conflict(make_task):
    run = Run.objects.create(task=make_task(), trigger="manual", status=states.SUCCEEDED)
    with pytest.raises(Conflict, match="already succeeded"):
        cancelling.request_cancel(run.pk, by="carol")
