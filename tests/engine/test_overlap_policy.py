from tasks_app import states
from tasks_app.models import Run
from tasks_app.services import dispatch, events


def finish(run):
    run.refresh_from_db()
    events.apply_event({"kind": "finished", "run_id": run.pk, "attempt": run.attempt, "fence": run.fence,
                        "worker": "w", "node": "worker@w", "status": "succeeded", "exit_code": 0})


def test_allow_dispatches_every_run(make_task, no_publish):
    task = make_task(overlap_policy="allow")
    first, second = (dispatch.create_run(task, Run.Trigger.MANUAL) for _ in range(2))
    assert (first.status, second.status) == ("pending", "pending") and not second.hold_reason


def test_forbid_records_the_second_as_skipped(make_task, no_publish):
    task = make_task(overlap_policy="forbid")
    first = dispatch.create_run(task, Run.Trigger.MANUAL)
    second = dispatch.create_run(task, Run.Trigger.MANUAL)
    assert second.status == states.SKIPPED
    assert f"run {first.pk} is still pending" in second.error


def test_queue_holds_the_second_until_the_first_ends(make_task, no_publish, django_capture_on_commit_callbacks):
    task = make_task(overlap_policy="queue")
    with django_capture_on_commit_callbacks(execute=True):
        first = dispatch.create_run(task, Run.Trigger.MANUAL)
        second = dispatch.create_run(task, Run.Trigger.MANUAL)
    second.refresh_from_db()
    assert second.status == states.PENDING and "waiting for run" in second.hold_reason
    with django_capture_on_commit_callbacks(execute=True):
        finish(first)
    second.refresh_from_db()
    assert second.status == states.QUEUED and second.hold_reason == ""
