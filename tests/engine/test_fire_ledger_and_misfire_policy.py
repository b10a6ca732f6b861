"""Guarantee 1 (one run per task and fire time) and guarantee 5 (misfire policy)."""

import datetime as dt
import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from tasks_app.models import Run, Task
from tasks_app.services import firing

UTC = dt.UTC


def at(minute, second=0):
    return dt.datetime(2026, 3, 1, 12, minute, second, tzinfo=UTC)


@pytest.fixture
def every_minute(make_task, no_publish):
    task = make_task(schedule={"interval_seconds": 60, "anchor": at(0).isoformat()}, misfire_grace_seconds=30)
    Task.objects.filter(pk=task.pk).update(last_scheduled_for=at(0))
    return task


def ledger(task):
    return list(Run.objects.filter(task=task).order_by("scheduled_for").values_list("scheduled_for", "status"))


def test_on_time_fires_run(every_minute):
    firing.fire_due(every_minute.pk, now=at(1, 5))
    assert ledger(every_minute) == [(at(1), "pending")]


def test_firing_twice_for_the_same_time_makes_one_run(every_minute):
    firing.fire_due(every_minute.pk, now=at(1, 5))
    Task.objects.filter(pk=every_minute.pk).update(last_scheduled_for=at(0))  # a second dispatcher's stale view
    firing.fire_due(every_minute.pk, now=at(1, 6))
    assert ledger(every_minute) == [(at(1), "pending")]


def test_the_database_itself_refuses_a_second_run_for_a_fire_time(every_minute):
    Run.objects.create(task=every_minute, trigger="schedule", scheduled_for=at(5))
    with pytest.raises(IntegrityError), transaction.atomic():
        Run.objects.create(task=every_minute, trigger="schedule", scheduled_for=at(5))
    Run.objects.create(task=every_minute, trigger="manual", scheduled_for=at(5))  # manual runs are not fires


def test_skip_records_missed_fires_as_skipped(every_minute):
    Task.objects.filter(pk=every_minute.pk).update(misfire_policy="skip")
    firing.fire_due(every_minute.pk, now=at(4, 10))
    assert ledger(every_minute) == [(at(1), "skipped"), (at(2), "skipped"), (at(3), "skipped"), (at(4), "pending")]
    assert "missed" in Run.objects.filter(task=every_minute, status="skipped").first().error


def test_run_once_runs_the_latest_missed_fire(every_minute):
    Task.objects.filter(pk=every_minute.pk).update(misfire_policy="run_once")
    firing.fire_due(every_minute.pk, now=at(3, 50))
    assert ledger(every_minute) == [(at(1), "skipped"), (at(2), "skipped"), (at(3), "pending")]


def test_run_all_runs_every_missed_fire(every_minute):
    Task.objects.filter(pk=every_minute.pk).update(misfire_policy="run_all")
    firing.fire_due(every_minute.pk, now=at(3, 50))
    assert [status for _, status in ledger(every_minute)] == ["pending", "pending", "pending"]


def test_a_disabled_task_does_not_fire(every_minute):
    Task.objects.filter(pk=every_minute.pk).update(enabled=False)
    assert firing.fire_due(every_minute.pk, now=at(5)) == []


def test_fire_all_due_uses_next_fire_at(every_minute):
    Task.objects.filter(pk=every_minute.pk).update(next_fire_at=at(1))
    assert firing.fire_all_due(now=at(1, 1)) == 1
    assert Task.objects.get(pk=every_minute.pk).next_fire_at == at(2)


@pytest.mark.django_db(transaction=True)
def test_concurrent_dispatchers_create_one_run_per_fire_time(no_publish):
    if connection.vendor != "postgresql":
        pytest.skip("row locks across threads need PostgreSQL; SQLite serialises writers anyway")
    now = timezone.now()
    anchor = (now - dt.timedelta(seconds=60)).isoformat()
    task = Task.objects.create(
        name="c", type="shell", spec={"command": "true"}, schedule={"interval_seconds": 1, "anchor": anchor},
        misfire_policy="run_all",
    )
    Task.objects.filter(pk=task.pk).update(last_scheduled_for=now - dt.timedelta(seconds=20))
    barrier = threading.Barrier(4)

    def fire():
        barrier.wait()
        try:
            firing.fire_due(task.pk, now=now)
        finally:
            connection.close()

    threads = [threading.Thread(target=fire) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    times = list(Run.objects.filter(task=task).values_list("scheduled_for", flat=True))
    assert len(times) == len(set(times)) >= 19
