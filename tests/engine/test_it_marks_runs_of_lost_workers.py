"""A worker silent for worker_timeout_seconds is lost, and its running runs are concluded
lost and retried, once, however many times the sweep runs."""

import datetime as dt

from django.utils import timezone

from tasks_app import states
from tasks_app.models import Run
from tasks_app.services import dispatch, events
from tests import factories
from workers_app.models import Worker
from workers_app.services import detect_lost_workers


def beat(worker_id, at, **fields):
    return factories.heartbeat(worker_id, at, **fields)


def test_silent_workers_are_lost_and_their_runs_retried(make_task, no_publish, settings):
    now = timezone.now()
    timeout = settings.TP.dispatcher.worker_timeout_seconds
    beat("gone", now - dt.timedelta(seconds=timeout + 5))
    beat("alive", now)
    run = dispatch.create_run(make_task(max_retries=1, retry_delay_seconds=0), Run.Trigger.MANUAL)
    events.apply_event({"kind": "started", "run_id": run.pk, "attempt": 1, "fence": run.fence,
                        "worker": "gone", "node": "worker@gone"})

    assert detect_lost_workers(now) == ["gone"]
    assert detect_lost_workers(now) == []  # idempotent
    run.refresh_from_db()
    assert run.status == states.RETRYING
    assert run.attempts.get(attempt=1).status == states.LOST
    assert Worker.objects.get(worker_id="alive").status == "online"


def test_a_lost_worker_that_beats_again_is_online(db):
    now = timezone.now()
    beat("back", now - dt.timedelta(hours=1))
    detect_lost_workers(now)
    assert Worker.objects.get(worker_id="back").status == "lost"
    beat("back", now, running=["a", "b"])
    worker = Worker.objects.get(worker_id="back")
    assert worker.status == "online" and worker.load == 1.0


def test_an_older_heartbeat_never_overwrites_a_newer_one(db):
    now = timezone.now()
    beat("w", now, running=["x"])
    beat("w", now - dt.timedelta(seconds=10), running=[])
    assert Worker.objects.get(worker_id="w").running == ["x"]
