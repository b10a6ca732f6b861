"""Beat takes in an edit by re-reading the changed rows only (instances_app.schedule_index):
stock DatabaseScheduler reloads every row on any change, which at 100k schedules is seconds."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask, PeriodicTasks

from instances_app.scheduler import LeaderScheduler
from scheduler_project.celery import app


@pytest.fixture
def beat(transactional_db, redis_prefix, monkeypatch):
    scheduler = LeaderScheduler(app=app)
    scheduler.tick()  # takes the lease and loads
    loads = []
    monkeypatch.setattr(scheduler.index, "load", lambda: loads.append(1))
    yield scheduler, loads
    scheduler.close()


def interval_of(scheduler, task) -> float | None:
    entry = scheduler.index.entries.get(PeriodicTask.objects.get(taskplane_task=task).pk)
    return scheduler.index.schedules[entry.skey].run_every.total_seconds() if entry else None


def test_changed_added_paused_and_deleted_schedules_take_effect_without_a_reload(beat, make_task):
    scheduler, loads = beat
    kept, edited, paused, deleted = (make_task(name=n, schedule={"interval_seconds": 3600})
                                     for n in ("kept", "edited", "paused", "deleted"))
    scheduler.tick()
    assert {interval_of(scheduler, t) for t in (kept, edited, paused, deleted)} == {3600}

    edited.schedule = {"interval_seconds": 60}
    edited.save()
    paused.enabled = False
    paused.save()
    PeriodicTask.objects.filter(taskplane_task=deleted).delete()
    added = make_task(name="added", schedule={"interval_seconds": 120})
    scheduler.tick()

    assert interval_of(scheduler, edited) == 60 and interval_of(scheduler, added) == 120
    assert interval_of(scheduler, paused) is None and interval_of(scheduler, kept) == 3600
    assert loads == []  # all of it incrementally


def test_a_row_disabled_behind_beats_back_is_dropped(beat, make_task):
    scheduler, loads = beat
    task = make_task(name="t", schedule={"interval_seconds": 3600})
    scheduler.tick()
    assert interval_of(scheduler, task) == 3600
    PeriodicTask.objects.filter(taskplane_task=task).update(enabled=False)  # no save, no date_changed
    PeriodicTasks.update_changed()
    scheduler.tick()
    assert interval_of(scheduler, task) is None and loads == []


def test_a_change_that_committed_too_late_for_the_look_back_is_found_by_the_reconcile(beat, make_task):
    scheduler, loads = beat
    task = make_task(name="late", schedule={"interval_seconds": 3600})
    scheduler.tick()
    other = make_task(name="other", schedule={"interval_seconds": 60})
    every = PeriodicTask.objects.get(taskplane_task=other).interval
    long_ago = timezone.now() - timedelta(hours=1)  # as if saved in a transaction that committed only now
    PeriodicTask.objects.filter(taskplane_task=task).update(interval=every, date_changed=long_ago)
    scheduler.tick()
    assert interval_of(scheduler, task) == 3600  # not seen yet: older than the look-back
    scheduler.index.reconciled_at = float("-inf")
    scheduler.tick()
    assert interval_of(scheduler, task) == 60 and loads == []
