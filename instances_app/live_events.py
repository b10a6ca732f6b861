"""The engine's run events (tasks_app.services.run_events signals) routed to the live event
streams connected to any instance, through the instances' inboxes (instances_app.sessions)."""

from django.dispatch import receiver

from instances_app import sessions
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
