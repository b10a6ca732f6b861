"""Registering the scrape-time collectors (at app start) reads neither the database nor
Redis: describe() names the families; only a scrape computes them."""

from prometheus_client import CollectorRegistry

import scheduler_project.redis_store.client
from monitoring_app.metrics import PlatformCollector, RegistryCollector, scrape_time_collectors


def test_registration_touches_no_database_and_no_redis(monkeypatch):
    # No db fixture: pytest-django fails any query. Redis: any use fails.
    monkeypatch.setattr(scheduler_project.redis_store.client, "get_redis", lambda: (_ for _ in ()).throw(AssertionError("redis")))
    registry = CollectorRegistry()
    for collector in scrape_time_collectors():
        registry.register(collector)
    assert {type(c) for c in scrape_time_collectors()} == {PlatformCollector, RegistryCollector}
    names = set(registry._names_to_collectors)
    assert {"tasks_executed_total", "scheduler_task_failures_total", "task_execution_duration_seconds",
            "scheduler_jobs_total", "scheduler_phase2_inbox_pending", "scheduler_nodes_total"} <= names
