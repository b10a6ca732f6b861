"""The engine's run events (tasks_app.services.run_events signals) routed to the live event
streams connected to any instance, through the instances' inboxes (instances_app.sessions)."""

from django.dispatch import receiver

from instances_app import sessions, streams
from tasks_app.models import Run
from tasks_app.services.run_events import event_of, run_output, run_status_changed


@receiver(run_status_changed, dispatch_uid="instances-live-status")
def _status_changed(sender, run_id: int, **kwargs) -> None:
    if not sessions.any_sessions():
        return  # nobody watches: no database read
    run = Run.objects.filter(pk=run_id).first()
    if run is not None:
        sessions.publish(event_of(run))


@receiver(run_output, dispatch_uid="instances-live-output")
def _output(sender, batch: dict, **kwargs) -> int:
    if not sessions.any_sessions():
        return 0
    return sessions.publish({"kind": "output", **batch})


def follow(run_id: int | None = None, task_id: int | None = None):
    """The live events of one run, or of every run of a task, for a command-line follower
    (tasks_app.services.following.live_events): the very stream the SSE endpoints serve
    (streams.stream, a session of this process's instance), its text parsed back into events.
    So whatever that stream carries (issue 16's output backlog and resume included) reaches
    `runs logs --follow` as it reaches the browser. Its first item comes once the session is
    registered; a run's stream ends when the run is final."""
    from scheduler_project.commandline.follow import sse_events
    from tasks_app import states

    if run_id is not None:
        def is_over(event: dict) -> bool:
            return event.get("kind") == "status" and event.get("status") in states.FINAL

        text = streams.stream({"run_id": run_id}, lambda: [event_of(r) for r in Run.objects.filter(pk=run_id)], is_over)
    else:
        text = streams.stream({"task_id": task_id} if task_id is not None else {}, list)
    return sse_events(text)
