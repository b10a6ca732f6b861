"""One sweep goes over the whole pending list, batch after batch, instead of one batch of
dlq_scan_count per scan interval (which left a large backlog for hours)."""

import time

from instances_app import inbox, instance_commands, sweeper  # noqa: F401  registers the handlers
from scheduler_project.redis_store import keys
from scheduler_project.redis_store.client import get_redis
from tests.support.redis import phase2_settings


def taken_by_a_dead_reader(settings) -> None:
    get_redis().xreadgroup(settings.TP.scheduler.phase2.stream_group, "b:dead", {keys.inbox("b"): ">"}, count=100)


def test_a_backlog_larger_than_a_batch_is_swept_at_once(redis_prefix, settings):
    phase2_settings(settings, dlq_min_idle_ms=50, dlq_scan_count=10, dlq_max_deliveries=5)
    inbox.ensure_group("b")
    for _ in range(35):
        inbox.enqueue("b", "run_event", {"sessions": [], "event": {"run_id": 1}})
    taken_by_a_dead_reader(settings)  # delivered, never acknowledged
    assert inbox.pending_count("b") == 35
    time.sleep(0.1)

    stats = sweeper.sweep_inbox("b", budget_seconds=30)
    assert (stats["claimed"], stats["handled"]) == (35, 35)
    assert inbox.pending_count("b") == 0


def test_the_budget_bounds_one_sweep(redis_prefix, settings):
    phase2_settings(settings, dlq_min_idle_ms=50, dlq_scan_count=10)
    inbox.ensure_group("b")
    for _ in range(30):
        inbox.enqueue("b", "run_event", {"sessions": [], "event": {"run_id": 1}})
    taken_by_a_dead_reader(settings)
    time.sleep(0.1)
    assert sweeper.sweep_inbox("b", budget_seconds=0)["claimed"] == 10  # one batch, then out of time
    assert inbox.pending_count("b") == 20
