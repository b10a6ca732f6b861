"""taskplane_fire_lag_seconds: a scheduled run's first start, measured from its fire time
(scheduled_for) to the worker's start stamp, is observed once, where the control role applies
the `started` event; it reaches /metrics through Redis like every platform histogram."""

import datetime as dt

import pytest

from tasks_app.models import Run, Task
from tasks_app.services import dispatch, events, firing
from tests.observability.helpers import scrape_platform

UTC = dt.UTC
FIRE = dt.datetime(2026, 3, 1, 12, 1, tzinfo=UTC)


@pytest.fixture
def apply(django_capture_on_commit_callbacks):
    def applied(event):
        with django_capture_on_commit_callbacks(execute=True):
            return events.apply_event(event)
    return applied


def started(run, at):
    return {"kind": "started", "run_id": run.pk, "attempt": run.attempt, "fence": run.fence, "worker": "w1",
            "node": "worker@w1", "at": at.isoformat()}


def lag_samples():
    found = scrape_platform()
    return {labels: value for (name, labels), value in found.items() if name.startswith("taskplane_fire_lag_seconds")
            and name.endswith("_bucket")}, found.get(("taskplane_fire_lag_seconds_count", ()), 0)


def test_a_scheduled_runs_start_is_observed_once(make_task, no_publish, redis_prefix,
                                                 django_capture_on_commit_callbacks, apply):
    task = make_task(schedule={"interval_seconds": 60, "anchor": (FIRE - dt.timedelta(minutes=1)).isoformat()})
    Task.objects.filter(pk=task.pk).update(last_scheduled_for=FIRE - dt.timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        firing.fire_due(task.pk, now=FIRE + dt.timedelta(milliseconds=100))
    run = Run.objects.get(task=task, trigger=Run.Trigger.SCHEDULE)
    assert run.scheduled_for == FIRE

    assert apply(started(run, FIRE + dt.timedelta(milliseconds=300))) == "applied"
    assert apply(started(run, FIRE + dt.timedelta(milliseconds=300))) == "duplicate"  # not observed again

    buckets, count = lag_samples()
    assert count == 1
    assert buckets[(("le", "0.25"),)] == 0
    assert buckets[(("le", "0.5"),)] == 1  # cumulative
    assert buckets[(("le", "+Inf"),)] == 1
    assert scrape_platform()[("taskplane_fire_lag_seconds_sum", ())] == pytest.approx(0.3)


def test_a_manual_runs_start_is_no_fire(make_task, no_publish, redis_prefix, django_capture_on_commit_callbacks,
                                        apply):
    task = make_task()
    with django_capture_on_commit_callbacks(execute=True):
        run = dispatch.create_run(task, Run.Trigger.MANUAL)
    run.refresh_from_db()
    assert apply(started(run, dt.datetime.now(UTC))) == "applied"
    assert lag_samples()[1] == 0
