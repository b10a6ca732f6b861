"""The engine's run events (tasks_app.services.run_events signals) routed to the live event
streams connected to any instance, through the instances' inboxes (instances_app.sessions),
and each execution's output lines kept for late and reconnecting viewers (live_output)."""

import logging

from django.dispatch import receiver

from instances_app import live_output, sessions, streams
from scheduler_project.commandline.follow import sse_events
from tasks_app import states
from tasks_app.models import Run
from tasks_app.services.run_events import event_of, run_output, run_status_changed

log = logging.getLogger("taskplane.instances")


@receiver(run_status_changed, dispatch_uid="instances-live-status")
def _status_changed(sender, run_id: int, status: str | None = None, attempt: int | None = None, **kwargs) -> None:
    if attempt and status is not None and status not in (states.PENDING, states.QUEUED, states.RUNNING):
        try:
            live_output.conclude(run_id, attempt)  # the attempt is over: its lines go in a while
        except Exception as exc:  # noqa: BLE001  Redis away: the lines go by their own expiry
            log.warning("output of run %s attempt %s not set to expire: %s", run_id, attempt, exc)
    if not sessions.any_sessions():
        return  # nobody watches: no database read
    run = Run.objects.filter(pk=run_id).first()
    if run is not None:
        sessions.publish(event_of(run))


@receiver(run_output, dispatch_uid="instances-live-output")
def _output(sender, batch: dict, **kwargs) -> int:
    # Kept first, routed second: a stream registers its session before it reads what is kept,
    # so every line reaches it one way or the other (instances_app.streams).
    try:
        ids = live_output.append(batch)
    except Exception as exc:  # noqa: BLE001  live viewers still get the lines, late ones will not
        log.error("output of run %s not kept for late viewers: %s", batch.get("run_id"), exc)
        ids = []
    if not sessions.any_sessions():
        return 0
    event = {"kind": "output", **batch}
    if ids and len(ids) == len(batch.get("lines") or []):
        event["ids"] = ids
    return sessions.publish(event)


def run_state(run_id: int):
    """What a run's stream starts with: its current execution's kept output (after the cursor's
    line, when the client reconnects), then its status."""

    def first_events(output) -> list[dict]:
        run = Run.objects.filter(pk=run_id).first()
        if run is None:
            return []
        after = output[1] if output and output[0] == run.attempt else None
        if output and output[0] > run.attempt:
            return [event_of(run)]  # a cursor from the future: nothing to replay
        return [*live_output.replay(run.pk, run.task_id, run.attempt, after), event_of(run)]

    return first_events


def run_is_over(event: dict) -> bool:
    return event.get("kind") == "status" and event.get("status") in states.FINAL


def follow(run_id: int | None = None, task_id: int | None = None):
    """The live events of one run, or of every run of a task, for a command-line follower
    (tasks_app.services.following.live_events): the very stream the SSE endpoints serve (a
    LiveStream, a session of this process's instance), its text parsed back into events. So a
    run's kept output (from line 1) and everything after reach `runs logs --follow` as they reach
    the browser. Its first item comes once the session is registered; a run's stream ends when
    the run is final."""
    if run_id is not None:
        text = streams.LiveStream({"run_id": run_id}, run_state(run_id), run_is_over)
    else:
        text = streams.LiveStream({"task_id": task_id} if task_id is not None else {}, lambda output: [])
    return sse_events(text)
