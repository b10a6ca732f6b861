"""Real beat, control and worker: an interval task every N seconds, a one-off exactly once,
a cron task at its local time in its own timezone."""

import datetime as dt

import pytest
from django.utils import timezone

from tasks_app.models import Run, Task
from tests.support.processes import wait_for

pytestmark = pytest.mark.e2e


def scheduled_runs(task):
    return list(Run.objects.filter(task=task, trigger="schedule").order_by("scheduled_for"))


def test_interval_and_one_off_fire_at_their_times(platform):
    for mode in ("control", "dispatcher", "worker"):
        platform.start(mode)
    every = Task.objects.create(name="every-2s", type="shell", spec={"command": "true"}, schedule={"interval_seconds": 2})
    at = timezone.now() + dt.timedelta(seconds=4)
    once = Task.objects.create(name="once", type="shell", spec={"command": "true"}, schedule={"at": at.isoformat()})

    wait_for(lambda: len(scheduled_runs(every)) >= 4, 40, "four runs of the interval task")
    wait_for(lambda: scheduled_runs(once), 30, "the one-off run")
    runs = scheduled_runs(every)
    gaps = {(b.scheduled_for - a.scheduled_for).total_seconds() for a, b in zip(runs, runs[1:])}
    assert gaps == {2.0}  # fire times sit on the task's grid, not on when beat woke up
    assert (runs[0].scheduled_for - every.created_at).total_seconds() % 2 == 0
    platform.wait_run(runs[0].pk, "succeeded")

    (single,) = scheduled_runs(once)
    assert single.scheduled_for == at.replace(microsecond=at.microsecond)
    platform.wait_run(single.pk, "succeeded")
    assert len(scheduled_runs(once)) == 1


def test_a_cron_task_fires_at_its_local_time(platform):
    """`M H * * *` in Asia/Kathmandu (UTC+05:45) fires at that wall-clock time there: read as UTC
    (or any other zone) the expression would not fire within hours of the test."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Asia/Kathmandu")
    target = (timezone.now() + dt.timedelta(seconds=20)).replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    local = target.astimezone(zone)
    task = Task.objects.create(
        name="cron", type="shell", spec={"command": "true"},
        schedule={"cron": f"{local.minute} {local.hour} * * *", "timezone": "Asia/Kathmandu"},
    )
    for mode in ("control", "dispatcher", "worker"):
        platform.start(mode)
    (run,) = wait_for(lambda: scheduled_runs(task), 100, f"the cron run at {local:%H:%M} Kathmandu time")
    assert run.scheduled_for == target
    platform.wait_run(run.pk, "succeeded")
