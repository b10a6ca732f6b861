"""The sweep's catch-up (firing.fire_all_due) fires every due task even when one of them fails:
a task that keeps failing must not hold back the others on every sweep."""

import datetime as dt

from tasks_app.models import Run, Task
from tasks_app.services import firing

UTC = dt.UTC
NOW = dt.datetime(2026, 3, 1, 12, 1, 1, tzinfo=UTC)


def test_one_failing_task_does_not_stop_the_others(make_task, no_publish, monkeypatch):
    tasks = [make_task(name=f"due-{n}", schedule={"interval_seconds": 60}) for n in range(3)]
    Task.objects.update(last_scheduled_for=NOW - dt.timedelta(seconds=61), next_fire_at=NOW - dt.timedelta(seconds=1),
                        created_at=NOW - dt.timedelta(minutes=5))
    broken = min(t.pk for t in tasks)
    real_fire_due = firing.fire_due

    def fire_due(task_id, now=None):
        if task_id == broken:
            raise ValueError("its stored schedule no longer parses")
        return real_fire_due(task_id, now)

    monkeypatch.setattr(firing, "fire_due", fire_due)
    created = firing.fire_all_due(now=NOW)
    runs = Run.objects.filter(trigger=Run.Trigger.SCHEDULE)
    assert created == runs.count() > 0
    assert set(runs.values_list("task_id", flat=True)) == {t.pk for t in tasks} - {broken}
