"""A run held under the overlap policy `queue` is still released when the run ahead of it ends
after the task has moved to another policy: the check after each conclusion (one statement:
the policy, or any held run of the task) must see the held run whatever the policy is now."""

from tasks_app import states
from tasks_app.models import Run, Task
from tasks_app.services import dispatch, events


def test_the_held_run_goes_when_the_run_ahead_ends(make_task, no_publish, django_capture_on_commit_callbacks):
    task = make_task(overlap_policy="queue")
    with django_capture_on_commit_callbacks(execute=True):
        first = dispatch.create_run(task, Run.Trigger.MANUAL)
        second = dispatch.create_run(task, Run.Trigger.MANUAL)
    second.refresh_from_db()
    assert second.status == states.PENDING and second.hold_reason

    Task.objects.filter(pk=task.pk).update(overlap_policy="allow")
    first.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        events.apply_event({"kind": "finished", "run_id": first.pk, "attempt": first.attempt, "fence": first.fence,
                            "worker": "w", "node": "worker@w", "status": "succeeded", "exit_code": 0})
    second.refresh_from_db()
    assert second.status == states.QUEUED and second.hold_reason == ""
