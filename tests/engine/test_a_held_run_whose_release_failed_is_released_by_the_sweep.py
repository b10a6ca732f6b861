"""A conclusion releases its task's next held run (overlap policy queue) after its own commit. If
that release fails, the sweep releases it: otherwise the held run would wait for the task's next
conclusion, which never comes when nothing else of the task runs."""

from tasks_app import states
from tasks_app.models import Run
from tasks_app.services import dispatch, events
from tasks_app.tasks import sweep


def _finished(run: Run) -> dict:
    return {"kind": "finished", "run_id": run.pk, "attempt": run.attempt, "fence": run.fence, "worker": "w",
            "node": "worker@w", "status": "succeeded", "exit_code": 0}


def test_the_sweep_releases_a_held_run_nothing_else_released(make_task, no_publish, monkeypatch,
                                                             django_capture_on_commit_callbacks):
    task = make_task(overlap_policy="queue")
    with django_capture_on_commit_callbacks(execute=True):
        first = dispatch.create_run(task, Run.Trigger.MANUAL)
        second = dispatch.create_run(task, Run.Trigger.MANUAL)
        third = dispatch.create_run(task, Run.Trigger.MANUAL)
    first.refresh_from_db()

    def database_went_away(task_id):
        raise RuntimeError("connection lost")

    monkeypatch.setattr(dispatch, "release_held", database_went_away)
    with django_capture_on_commit_callbacks(execute=True):
        assert events.apply_batch([_finished(first)]) == ["applied"]  # applied, not failed or requeued
    monkeypatch.undo()
    second.refresh_from_db()
    assert second.status == states.PENDING and second.hold_reason  # stranded

    with django_capture_on_commit_callbacks(execute=True):
        assert sweep()["released"] == 1
    second.refresh_from_db()
    third.refresh_from_db()
    assert second.status == states.QUEUED and second.hold_reason == ""
    assert third.status == states.PENDING and third.hold_reason  # one at a time, as the policy says
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep()["released"] == 0  # second is active: third waits for its conclusion


def test_the_sweep_leaves_a_held_run_behind_an_active_one_alone(make_task, no_publish,
                                                                django_capture_on_commit_callbacks):
    task = make_task(overlap_policy="queue")
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.create_run(task, Run.Trigger.MANUAL)
        held = dispatch.create_run(task, Run.Trigger.MANUAL)
        assert sweep()["released"] == 0
    held.refresh_from_db()
    assert held.status == states.PENDING and held.hold_reason
