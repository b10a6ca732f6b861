"""Heartbeats land in Redis in the multi-instance guide's layout and reach the registry in
bulk, one flush per sweep."""

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from scheduler_project.redis_store import keys
from scheduler_project.redis_store.client import get_redis
from workers_app.models import Worker
from workers_app.services import InvalidHeartbeat, flush_snapshots, store_snapshot


@pytest.fixture
def prefix(redis_prefix):
    return redis_prefix


def beat(worker_id, **fields):
    return {"worker_id": worker_id, "node": f"worker@{worker_id}", "concurrency": 4, "running": [],
            "queues": ["tasks.shell"], "consuming": ["tasks.shell"], "at": timezone.now().isoformat(), **fields}


def test_a_heartbeat_is_a_snapshot_under_the_seed_keys(db, prefix, settings):
    store_snapshot(beat("node-1", running=["run-1-a1-x"]))
    redis = get_redis()
    assert redis.smembers(f"{prefix}:v1:nodes:all") == {"node-1"}
    assert json.loads(redis.get(f"{prefix}:v1:nodes:snapshot:node-1"))["running"] == ["run-1-a1-x"]
    ttl = redis.ttl(f"{prefix}:v1:nodes:snapshot:node-1")
    assert 0 < ttl <= settings.TP.scheduler.phase2.node_snapshot.presence_ttl_seconds
    assert not Worker.objects.exists()  # not in the database until the flush


def test_the_flush_writes_every_node_in_a_few_queries(db, prefix):
    for n in range(30):
        store_snapshot(beat(f"node-{n}"))
    with CaptureQueriesContext(connection) as queries:
        assert flush_snapshots() == 30
    assert Worker.objects.count() == 30
    for n in range(30):
        store_snapshot(beat(f"node-{n}", running=["x"]))
    with CaptureQueriesContext(connection) as again:
        flush_snapshots()
    assert Worker.objects.filter(load=0.25).count() == 30
    assert len(queries) <= 5 and len(again) <= 5  # not one write per node


def test_a_node_silent_past_remove_stale_after_seconds_leaves_the_set(db, prefix):
    store_snapshot(beat("gone"))
    flush_snapshots()
    get_redis().delete(keys.node_snapshot("gone"))  # its TTL ran out
    Worker.objects.update(last_heartbeat=timezone.now() - dt.timedelta(days=1))
    flush_snapshots()
    assert get_redis().smembers(keys.nodes_all()) == set()
    assert Worker.objects.filter(worker_id="gone").exists()  # the registry keeps its history


def test_a_malformed_heartbeat_is_refused_with_its_reason(db, prefix):
    with pytest.raises(InvalidHeartbeat, match="running must be a list"):
        store_snapshot(beat("bad", running="x"))
