"""Counting must never fail the work it counts: with Redis unreachable, an attempt still
concludes; the increments wait in the process and are written once Redis is back."""

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from scheduler_project.metrics import counters
from scheduler_project.redis_store import accounting as ops
from tasks_app.models import Run, Task
from tasks_app.services import events
from tests.observability.helpers import scrape_platform
from tests.services import free_port

SUCCEEDED = ("tasks_executed_total", (("status", "succeeded"), ("task_type", "shell")))


@pytest.fixture
def redis_down(monkeypatch):
    """Metrics point at a port nobody listens on; returns the real client factory. The Redis op
    accounting's timed flush (scheduler_project.redis_store.accounting, every 5 s) is held off, so that only what the
    test counts is kept pending: a flush falling inside the test added its op series."""
    real = counters.get_counting_redis
    monkeypatch.setattr(ops, "_last_flush", float("inf"))
    dead = redis.Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0))
    monkeypatch.setattr(counters, "get_counting_redis", lambda: dead)
    monkeypatch.setattr(counters, "_pending", {})
    monkeypatch.setattr(counters, "_down_until", 0.0)
    yield real
    monkeypatch.undo()


def _running_run() -> Run:
    task = Task.objects.create(name="t", type="shell", spec={"command": "true"}, max_retries=0)
    return Run.objects.create(task=task, trigger="manual", status="running", fence="f1", worker="w1")


@pytest.mark.django_db
def test_a_conclusion_with_redis_down_succeeds_and_is_counted_later(
    redis_prefix, redis_down, monkeypatch, django_capture_on_commit_callbacks
):
    run = _running_run()
    event = {"kind": "finished", "run_id": run.pk, "attempt": 1, "fence": "f1", "worker": "w1", "node": "worker@w1",
             "status": "succeeded", "exit_code": 0}
    with django_capture_on_commit_callbacks(execute=True):
        assert events.apply_event(event) == "applied"
    counters.incr("tasks_executed_total", {"task_type": "shell", "status": "succeeded"})  # while "down": buffered
    run.refresh_from_db()
    assert run.status == "succeeded"
    assert counters.pending_fields() == 1  # one series, two increments aggregated
    assert scrape_platform()[SUCCEEDED] == 0  # exported at 0 until written (issue 15 item 13)

    monkeypatch.setattr(counters, "get_counting_redis", redis_down)  # Redis is back
    assert counters.flush()
    assert scrape_platform()[SUCCEEDED] == 2
    assert counters.flush()  # nothing left: flushing again writes nothing twice
    assert scrape_platform()[SUCCEEDED] == 2


def test_bad_metric_calls_are_logged_not_raised(redis_prefix, caplog):
    counters.incr("no_such_metric_total")
    counters.incr("tasks_executed_total", {"wrong": "labels"})
    counters.observe("tasks_executed_total", {"task_type": "shell", "status": "x"}, 1.0)
    assert [r.levelname for r in caplog.records] == ["ERROR"] * 3
