"""The scrape-time gauges: instances present and the leader, inbox pending and DLQ depth per
instance (Redis); runs by status, dead runs, worker heartbeats (database)."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from scheduler_project.redis_store.client import get_redis, key
from tasks_app.models import Run, Task
from tests.observability.helpers import samples, scrape_platform
from workers_app.models import Worker


def _g(name, **labels):
    return (name, tuple(sorted(labels.items())))


@pytest.fixture
def redis_state(redis_prefix, settings):
    r = get_redis()
    r.set(key("schedulers", "presence", "a"), json.dumps({"roles": ["api", "control"]}), ex=60)
    r.set(key("schedulers", "presence", "b"), json.dumps({"roles": ["api"]}), ex=60)
    r.set(key("schedulers", "leader"), json.dumps({"instance_id": "b", "token": 7}), ex=60)
    r.sadd(key("schedulers", "known"), "a", "b")  # as presence.announce does
    inbox = key("streams", "{instance:a}", "inbox")
    for n in range(3):
        r.xadd(inbox, {"n": n})
    r.xgroup_create(inbox, settings.TP.scheduler.phase2.stream_group, id="0")
    r.xreadgroup(settings.TP.scheduler.phase2.stream_group, "c1", {inbox: ">"}, count=2)
    r.xadd(key("streams", "{instance:b}", "inbox"), {"n": 1})  # nobody reads it yet: no group
    for n in range(4):
        r.xadd(key("streams", "{instance:a}", "dlq"), {"n": n})


@pytest.mark.django_db
def test_gauges_from_redis_and_the_database(redis_state):
    now = timezone.now()
    task = Task.objects.create(name="t", type="shell", spec={"command": "true"})
    for status, age in (("succeeded", 1), ("succeeded", 2), ("succeeded", 48), ("running", 72), ("dead", 120)):
        Run.objects.create(task=task, trigger="manual", status=status, created_at=now - timedelta(hours=age))
    Worker.objects.create(worker_id="w1", running=["x", "y"], last_heartbeat=now - timedelta(seconds=10))
    Worker.objects.create(worker_id="gone", status="offline")

    from instances_app import sessions

    sessions.open_session({"run_id": 1}, instance_id="a")
    sessions.open_session({}, instance_id="b")
    found = scrape_platform()
    assert found[_g("scheduler_sessions_total")] == 2
    assert found[_g("taskplane_instance_present", instance_id="a")] == 1
    assert found[_g("taskplane_instance_leader", instance_id="a")] == 0
    assert found[_g("taskplane_instance_leader", instance_id="b")] == 1
    assert found[_g("scheduler_phase2_inbox_pending", instance_id="a")] == 2  # delivered, not acknowledged
    assert found[_g("scheduler_phase2_inbox_pending", instance_id="b")] == 0
    assert found[_g("scheduler_phase2_dlq_depth", instance_id="a")] == 4
    assert found[_g("scheduler_jobs_total", status="succeeded")] == 2  # final ones: the last 24 h
    assert found[_g("scheduler_jobs_total", status="running")] == 1  # active ones: whatever their age
    assert found[_g("scheduler_jobs_total", status="dead")] == 0
    assert found[_g("taskplane_runs_dead")] == 1
    assert found[_g("taskplane_worker_running", worker_id="w1")] == 2
    assert 9 <= found[_g("taskplane_worker_heartbeat_age_seconds", worker_id="w1")] < 60
    assert _g("taskplane_worker_running", worker_id="gone") not in found
    assert found[_g("taskplane_metrics_source_up", source="redis")] == 1
    assert found[_g("taskplane_metrics_source_up", source="database")] == 1


@pytest.mark.django_db
def test_the_metrics_endpoint_serves_them_beside_django_prometheus(client, redis_state):
    found = samples(client.get("/metrics").content.decode())
    assert found[_g("scheduler_phase2_dlq_depth", instance_id="a")] == 4
    assert any(name == "django_http_requests_before_middlewares_total" for name, _ in found)
    assert _g("scheduler_nodes_total", status="online") in found  # workers_app's collector
