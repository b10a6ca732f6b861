"""A run records the Celery node its `started` event came from (Run.node), and a cancel (and its
repetition by the sweep) is sent to that node: stopping a run needs no lookup in the worker
registry, which the engine does not know."""

from datetime import timedelta

from django.utils import timezone

from tasks_app.models import Run
from tasks_app.services import cancelling, dispatch, events


def test_the_stop_goes_to_the_recorded_node(make_task, no_publish, monkeypatch, django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr("tasks_app.services.stopping.current_app.control.broadcast",
                        lambda name, arguments, destination: sent.append((name, destination)))
    run = dispatch.create_run(make_task(), Run.Trigger.MANUAL)
    events.apply_event({"kind": "started", "run_id": run.pk, "attempt": 1, "fence": run.fence,
                        "worker": "w7", "node": "celery-w7@host-9"})
    assert Run.objects.get(pk=run.pk).node == "celery-w7@host-9"

    with django_capture_on_commit_callbacks(execute=True):
        cancelling.request_cancel(run.pk, by="key:ops")
    Run.objects.filter(pk=run.pk).update(cancel_requested_at=timezone.now() - timedelta(seconds=30))
    assert cancelling.repeat_cancels() == 1
    assert sent == [("taskplane_cancel", ["celery-w7@host-9"])] * 2
