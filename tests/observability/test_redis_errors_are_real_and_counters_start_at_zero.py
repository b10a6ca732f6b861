"""`scheduler_phase2_redis_op_total{result="err"}` counts real errors only, and every counter is
exported at 0 before its first increment (issue 15 item 13): on a clean start, presence asks for
an inbox's pending count before its consumer group exists (NOGROUP), and every restart creates a
group that exists already (BUSYGROUP); both are answers the code expects, and counting them as
errors fired the RedisOperationErrors alert on every new pod. A series born at 1 is invisible to
increase(): the first dead letter of an instance never showed."""

from collections import Counter, defaultdict

import redis

from instances_app import inbox, presence, sweeper
from scheduler_project.redis_store import accounting
from scheduler_project.redis_store.accounting import redis_op
from scheduler_project.redis_store.client import get_redis
from tests.observability.helpers import scrape_platform


def flushed_counts(monkeypatch) -> None:
    """Only the ops counted from now on (not what earlier tests left in this process), each
    flushed at once (not every FLUSH_SECONDS)."""
    monkeypatch.setattr(accounting, "_counts", Counter())
    monkeypatch.setattr(accounting, "_samples", defaultdict(list))
    monkeypatch.setattr(accounting, "FLUSH_SECONDS", 0.0)


def test_expected_answers_are_not_errors_and_real_errors_are(redis_prefix, monkeypatch):
    flushed_counts(monkeypatch)
    assert inbox.pending_count("fresh") == 0  # no stream, no group yet
    inbox.ensure_group("fresh")
    inbox.ensure_group("fresh")  # a restart: BUSYGROUP
    assert sweeper.sweep_batch("never-sent-to", "0-0") is None  # NOGROUP
    get_redis().set(f"{redis_prefix}:a-string", "x")
    try:
        redis_op("xadd", get_redis().xadd, f"{redis_prefix}:a-string", {"a": "b"})  # WRONGTYPE: a real error
    except redis.ResponseError:
        pass

    scraped = scrape_platform()

    def count(op, result):
        return scraped[("scheduler_phase2_redis_op_total", (("op", op), ("result", result)))]

    assert count("xpending", "err") == 0 and count("xpending", "ok") == 1
    assert count("xgroup_create", "err") == 0 and count("xgroup_create", "ok") == 2
    assert count("xautoclaim", "err") == 0 and count("xautoclaim", "ok") == 1
    assert count("xadd", "err") == 1


def test_every_counter_is_exported_at_zero_before_its_first_increment(redis_prefix):
    presence.announce("zero-instance")
    scraped = scrape_platform()
    zeros = {
        ("scheduler_phase2_dlq_moved_total", (("instance_id", "zero-instance"),)),
        ("scheduler_phase2_redis_op_total", (("op", "xreadgroup"), ("result", "err"))),
        ("taskplane_rejected_messages_total", (("reason", "wrong_role"),)),
        ("tasks_executed_total", (("status", "succeeded"), ("task_type", "shell"))),
        ("scheduler_task_failures_total", (("status", "dead"), ("task_type", "http"))),
        ("taskplane_notification_deliveries_total", (("channel_type", "webhook"), ("result", "failed"))),
        ("scheduler_node_selection_duration_seconds_count", ()),
        ("task_execution_duration_seconds_count", (("task_type", "shell"),)),
    }
    assert {series: scraped.get(series) for series in zeros} == dict.fromkeys(zeros, 0.0)
