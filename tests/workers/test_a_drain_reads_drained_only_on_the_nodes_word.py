"""Issue 14 item 11: the runbook restarts a node once it reads `drained`, so that must never be
read while work runs. The Worker row lags the node (a heartbeat and a sweep), so only a
heartbeat taken after the drain request, from a node that consumes nothing and holds nothing,
marks the drain done; a later heartbeat showing work again clears it."""

import datetime as dt

from django.utils import timezone

from workers_app import services
from workers_app.models import Worker


def test_an_empty_row_at_drain_time_is_not_drained(beat, orders):
    beat(running=[])  # the row says idle; the node may have taken a run since
    worker = services.drain("w1")
    assert worker.drain_state == "draining" and worker.drained_at is None


def test_only_a_heartbeat_after_the_request_showing_nothing_drains(beat, orders):
    beat(running=[])
    requested = services.drain("w1").drain_requested_at
    before = requested - dt.timedelta(seconds=1)
    beat(at=before, running=[], consuming=[])  # queued before the request: an old picture
    beat(at=requested + dt.timedelta(seconds=1), running=[], consuming=["tasks.shell"])  # not yet obeyed
    beat(at=requested + dt.timedelta(seconds=2), running=["run-1-a1-x"], consuming=[])
    beat(at=requested + dt.timedelta(seconds=3), running=[], reserved=["run-2-a1-y"], consuming=[])
    assert Worker.objects.get().drain_state == "draining"
    beat(at=requested + dt.timedelta(seconds=4), running=[], reserved=[], consuming=[])
    assert Worker.objects.get().drain_state == "drained"


def test_work_seen_after_drained_clears_it(beat, orders):
    beat()
    requested = services.drain("w1").drain_requested_at
    beat(at=requested + dt.timedelta(seconds=1), running=[], consuming=[])
    assert Worker.objects.get().drain_state == "drained"
    beat(at=requested + dt.timedelta(seconds=2), running=["run-3-a1-z"], consuming=[])
    assert Worker.objects.get().drain_state == "draining"
    beat(at=timezone.now() + dt.timedelta(seconds=3), running=[], consuming=[])
    assert Worker.objects.get().drain_state == "drained"
