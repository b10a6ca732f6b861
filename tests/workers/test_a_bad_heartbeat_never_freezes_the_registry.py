"""A heartbeat comes over the broker, where anyone with its credentials writes: each one is
checked against the registry's columns and types before it is kept. A bad one is refused with a
WARNING naming the problem and a dead-letter record, and never stops the sweep from writing every
other node's heartbeat (issue 15 item 4: a 300-character worker id used to fail every sweep's
bulk write, "value too long for varchar(200)", until its snapshot expired)."""

import datetime as dt
import json
import logging

import pytest
from django.utils import timezone

from scheduler_project.redis_store import keys
from scheduler_project.redis_store.client import get_redis
from workers_app.models import RejectedMessage, Worker
from workers_app.services import flush_snapshots, store_snapshot
from workers_app.tasks import heartbeat


@pytest.fixture
def prefix(redis_prefix):
    return redis_prefix


def beat(worker_id, **fields):
    return {"worker_id": worker_id, "node": f"worker@{worker_id}", "concurrency": 4, "running": [],
            "queues": ["tasks.shell"], "consuming": ["tasks.shell"], "at": timezone.now().isoformat(), **fields}


BAD = {
    "a worker id longer than the column": (beat("x" * 300), "worker_id of 300 characters"),
    "a worker id that is not a string": (beat(5), "without a worker_id"),
    "a worker id of odd characters": (beat("a b;$(id)"), "worker_id of characters"),
    "a pid that is a string": (beat("w", pid="abc"), "pid must be a whole number"),
    "a negative concurrency": (beat("w", concurrency=-3), "concurrency must be a whole number"),
    "running that is not a list": (beat("w", running="x"), "running must be a list"),
    "running that holds objects": (beat("w", running=[{"a": 1}]), "running must be a list of names"),
    "a host longer than its column": (beat("w", host="h" * 300), "host must be a string of at most 255"),
    "an unknown status": (beat("w", status="zombie" * 5), "status must be one of"),
    "a time without a zone": (beat("w", at="2026-01-01T00:00:00"), "at must carry its time zone"),
    "a time that is no time": (beat("w", at="soon"), "at must be an ISO 8601 time"),
    "a time in the future": (beat("w", at=(timezone.now() + dt.timedelta(days=30)).isoformat()), "in the future"),
    "not an object": (["w"], "must be an object"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_heartbeat_is_refused_naming_the_problem(transactional_db, prefix, caplog, case):
    payload, problem = BAD[case]
    with caplog.at_level(logging.WARNING, logger="taskplane.broker"):
        heartbeat(payload)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and problem in r.getMessage()]
    assert len(warnings) == 1, [r.getMessage() for r in caplog.records]
    row = RejectedMessage.objects.get()
    assert (row.reason, row.task_name) == ("invalid_payload", "control.heartbeat") and problem in row.detail
    assert not get_redis().smembers(keys.nodes_all())  # never stored
    assert not Worker.objects.exists()


def test_the_registry_keeps_taking_heartbeats_after_a_bad_one(transactional_db, prefix):
    heartbeat(beat("x" * 300))
    heartbeat(beat("good"))
    assert flush_snapshots() == 1
    assert Worker.objects.get().worker_id == "good"


def test_a_bad_snapshot_already_in_redis_does_not_stop_the_others(db, prefix, caplog):
    # As an older version would have stored it: the sweep skips it and writes the rest.
    long_id = "y" * 300
    get_redis().set(keys.node_snapshot(long_id), json.dumps(beat(long_id)))
    get_redis().sadd(keys.nodes_all(), long_id)
    store_snapshot(beat("fine"))
    with caplog.at_level(logging.WARNING):
        assert flush_snapshots() == 1
    assert list(Worker.objects.values_list("worker_id", flat=True)) == ["fine"]
    assert any("worker_id of 300 characters" in r.getMessage() for r in caplog.records)
