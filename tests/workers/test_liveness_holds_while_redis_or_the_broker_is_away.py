"""Issue 14 item 8: liveness does not depend on the state store, nor on the broker being up.

- Heartbeats arrive over the broker and are kept as Redis snapshots; while Redis is away they are
  written to the registry directly, so a live node is never judged silent, and the stale
  snapshots Redis still holds when it returns change nothing.
- While the broker is away no heartbeat can arrive: a node's silence counts only from when this
  control process could consume again."""

import datetime as dt

import pytest
from django.utils import timezone

from scheduler_project.redis_store import keys
from scheduler_project.redis_store.client import get_redis
from tests import factories
from tests.services import free_port
from workers_app.models import Worker
from workers_app.services import detect_lost_workers, flush_snapshots, listening, receive_heartbeat, snapshots


@pytest.fixture(autouse=True)
def never_consumed():
    listening.reset()
    yield
    listening.reset()


def beat(worker_id, at, **fields):
    return {"worker_id": worker_id, "node": f"worker@{worker_id}", "concurrency": 1, "running": [],
            "queues": ["tasks.shell"], "consuming": ["tasks.shell"], "at": at.isoformat(), **fields}


def point_redis_at(settings, url):
    p2 = settings.TP.scheduler.phase2
    settings.TP = settings.TP.model_copy(update={"scheduler": settings.TP.scheduler.model_copy(update={
        "phase2": p2.model_copy(update={"redis": p2.redis.model_copy(update={"url": url})})})})


def test_heartbeats_reach_the_registry_while_redis_is_away(db, redis_prefix, settings, monkeypatch):
    monkeypatch.setattr(snapshots, "_redis_skipped_until", 0.0)  # restored at the end: no back-off left over
    timeout = dt.timedelta(seconds=settings.TP.dispatcher.worker_timeout_seconds)
    start = timezone.now() - 3 * timeout
    assert receive_heartbeat(beat("w1", start, running=["run-1-a1-x"])) == "snapshot"
    flush_snapshots()
    up = settings.TP

    point_redis_at(settings, f"redis://127.0.0.1:{free_port()}/0")  # nobody listens there: Redis is away
    latest = start + 2 * timeout
    assert receive_heartbeat(beat("w1", latest - timeout / 2)) == "registry"
    assert receive_heartbeat(beat("w1", latest, running=["run-1-a1-x"])) == "registry"  # without trying Redis
    worker = Worker.objects.get(worker_id="w1")
    assert worker.last_heartbeat == latest and worker.running == ["run-1-a1-x"]

    settings.TP = up  # Redis is back, with the snapshot it held before the outage
    snapshots._redis_skipped_until = 0.0  # its back-off is over
    assert get_redis().get(keys.node_snapshot("w1")) is not None
    flush_snapshots()
    assert Worker.objects.get(worker_id="w1").last_heartbeat == latest  # the older snapshot changed nothing
    assert detect_lost_workers(latest + timeout / 2) == []
    assert Worker.objects.get(worker_id="w1").status == "online"


def test_silence_counts_only_from_when_heartbeats_could_be_received(db, settings):
    timeout = dt.timedelta(seconds=settings.TP.dispatcher.worker_timeout_seconds)
    now = timezone.now()
    factories.heartbeat("w1", now - 3 * timeout)  # last heard before a long broker outage

    listening.stopped()  # the broker is away: nobody is silent
    assert detect_lost_workers(now) == []
    listening.started(at=now - timeout / 2)  # consuming again since then
    assert detect_lost_workers(now) == []
    assert Worker.objects.get(worker_id="w1").status == "online"
    assert detect_lost_workers(now + timeout) == ["w1"]  # a whole timeout heard nothing since
