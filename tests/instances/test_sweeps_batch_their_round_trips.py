"""A sweep settles its whole XAUTOCLAIM batch in a few round trips (delivery counts, histories,
DLQ moves and acknowledgements each batched), with the same letters, counts and metrics as one
entry at a time; on a single server and on a cluster."""

import time
from collections import Counter

import pytest
import redis

from instances_app import deadletters, inbox, presence, sweeper
from scheduler_project.metrics import counters
from scheduler_project.redis_store import accounting as ops
from scheduler_project.redis_store import keys
from scheduler_project.redis_store.client import get_redis
from tests.instances.test_redis_cluster_mode import cluster, cluster_mode  # noqa: F401  fixtures
from tests.support.redis import counting_round_trips, phase2_settings


@pytest.fixture
def noop_type(monkeypatch):
    monkeypatch.setitem(inbox.HANDLERS, "test.noop", lambda instance_id, body: None)
    return "test.noop"


def pending_batch(instance_id: str, noop_type: str, total: int, exhausted: int) -> list[str]:
    """total entries read by a consumer that died; the first `exhausted` already delivered
    dlq_max_deliveries times, each with a failure recorded. Returns the exhausted ids."""
    client, group = get_redis(), inbox.p2().stream_group
    inbox.ensure_group(instance_id)
    ids = [inbox.enqueue(instance_id, noop_type, {"n": n}) for n in range(total)]
    client.xreadgroup(group, "dead:1", {keys.inbox(instance_id): ">"}, count=total)
    idle = inbox.p2().dlq_min_idle_ms * 10
    client.xclaim(keys.inbox(instance_id), group, "dead:1", 0, ids[:exhausted], idle=idle,
                  retrycount=inbox.p2().dlq_max_deliveries, justid=True)
    client.xclaim(keys.inbox(instance_id), group, "dead:1", 0, ids[exhausted:], idle=idle, retrycount=1, justid=True)
    for entry_id in ids[:exhausted]:
        inbox.record_failure(instance_id, entry_id, "dead:1", "RuntimeError: boom")
    presence.announce(instance_id)  # live: no adoption round in the sweep
    return ids[:exhausted]


def moved_total(instance_id: str) -> int:
    metric = counters.METRICS["scheduler_phase2_dlq_moved_total"]
    field = counters.label_field(metric, {"instance_id": instance_id})
    found = get_redis().hget(counters.metric_key(metric.name), field)
    return int(found or 0)


def assert_settled(instance_id: str, stats: dict, dead_ids: list[str], total: int, settings) -> None:
    assert (stats["claimed"], stats["handled"], stats["dead_lettered"]) == (total, total - len(dead_ids), len(dead_ids))
    letters = deadletters.list_letters(instance_id)
    assert sorted(letter["source_id"] for letter in letters) == sorted(dead_ids)
    for letter in letters:
        assert letter["reason"] == "RuntimeError: boom"
        assert letter["deliveries"] == settings.TP.scheduler.phase2.dlq_max_deliveries
        assert [h["consumer"] for h in letter["history"]] == ["dead:1"]
    client = get_redis()
    assert inbox.pending_count(instance_id) == 0
    assert client.xlen(keys.inbox(instance_id)) == total - len(dead_ids)  # the moved ones are deleted
    assert client.hlen(keys.errors(instance_id)) == 0
    assert moved_total(instance_id) == len(dead_ids)


def test_a_sweep_settles_its_batch_in_a_few_round_trips(redis_prefix, settings, noop_type):
    phase2_settings(settings, dlq_min_idle_ms=100, dlq_max_deliveries=3)
    dead_ids = pending_batch("b", noop_type, total=40, exhausted=10)
    with counting_round_trips() as sends:
        stats = sweeper.sweep_inbox("b")
    # XAUTOCLAIM, XPENDING range, HMGET, the settling pipeline, EXISTS (presence), the DLQ
    # counter and perhaps a flush of op counts: not one or more per entry (50+ before batching).
    assert sends["round trips"] <= 8, sends
    assert_settled("b", stats, dead_ids, 40, settings)


def test_deliveries_looks_up_what_the_range_skips(redis_prefix, settings, noop_type):
    """The sweeper's own pending entries that are not idle yet may sit between the ones it
    claims, taking places in the XPENDING range; their neighbours are looked up one by one."""
    phase2_settings(settings, dlq_min_idle_ms=100, dlq_max_deliveries=3)
    client, group, stream = get_redis(), inbox.p2().stream_group, keys.inbox("b")
    inbox.ensure_group("b")
    a, b, c = (inbox.enqueue("b", noop_type, {"n": n}) for n in range(3))
    client.xreadgroup(group, "dead:1", {stream: ">"}, count=3)
    client.xclaim(stream, group, sweeper.sweeper_name(), 0, [b], retrycount=5, justid=True)  # not idle
    # b's idle time restarted at 0 above: a min-idle of 5 s keeps it unclaimed even if this
    # process stalls between the two calls.
    client.xclaim(stream, group, "dead:1", 0, [a, c], idle=60_000, retrycount=1, justid=True)
    _, claimed, *_ = client.xautoclaim(stream, group, sweeper.sweeper_name(), 5_000, start_id="0-0")
    assert [entry_id for entry_id, _ in claimed] == [a, c]
    assert sweeper.deliveries("b", [a, c]) == {a: 2, c: 2}  # the range held a and b: c looked up alone
    assert sweeper.deliveries("b", []) == {}


def test_a_pipeline_counts_each_op_and_raises_the_first_error(redis_prefix, monkeypatch):
    monkeypatch.setattr(ops, "FLUSH_SECONDS", 3600.0)
    monkeypatch.setattr(ops, "_last_flush", time.monotonic())
    before = Counter(ops._counts)
    name = f"{redis_prefix}:plain"
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        ops.redis_pipeline(get_redis(), [("set", (name, "x"), {}), ("xack", (name, "g", "1-0"), {}),
                                         ("get", (name,), {})])
    counted = Counter(ops._counts) - before
    assert counted == {("set", "ok"): 1, ("xack", "err"): 1, ("get", "ok"): 1}
    assert get_redis().get(name) == "x"  # the commands around the failed one still ran


def test_a_batch_settles_on_a_cluster(cluster_mode, settings, noop_type):  # noqa: F811
    phase2_settings(settings, dlq_min_idle_ms=100, dlq_max_deliveries=3)
    dead_ids = pending_batch("c", noop_type, total=30, exhausted=7)
    stats = sweeper.sweep_inbox("c")
    assert_settled("c", stats, dead_ids, 30, settings)
