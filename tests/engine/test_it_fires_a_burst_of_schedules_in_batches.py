"""Beat sends every due Taskplane schedule of a tick as a few control.fire_schedules messages
(task ids in batches) and writes their last_run_at in one statement; control fires each task
of a batch through the fire ledger, one broken task not stopping the others."""

from datetime import timedelta

from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from instances_app import scheduler as beat_module
from instances_app.scheduler import LeaderScheduler
from scheduler_project.celery import app
from tasks_app import tasks as control
from tasks_app.models import Run, Task


def test_a_burst_goes_as_batches_and_each_task_fires_once(transactional_db, redis_prefix, monkeypatch, make_task,
                                                          no_publish, django_assert_max_num_queries):
    tasks = [make_task(name=f"t{i}", schedule={"interval_seconds": 60}) for i in range(40)]
    PeriodicTask.objects.update(last_run_at=timezone.now() - timedelta(minutes=2))
    sent = []
    scheduler = LeaderScheduler(app=app)
    # Its construction wrote the platform's own entries; the sweep's is due every 2 s and would
    # make the second tick "due now" on a slow machine. Only Taskplane schedules are under test.
    PeriodicTask.objects.filter(taskplane_task__isnull=True).update(enabled=False)
    monkeypatch.setattr(scheduler, "send_task", record(sent))
    try:
        assert scheduler.tick() == 0  # loads, and sends the whole burst in this one tick
        with django_assert_max_num_queries(4):
            assert scheduler.tick() > 0  # nothing due any more: writes the fires, one UPDATE
    finally:
        scheduler.close()

    assert 1 < len(sent) <= beat_module.SPREAD
    assert sorted(pk for _, ids in sent for pk in ids) == sorted(t.pk for t in tasks)
    rows = PeriodicTask.objects.filter(taskplane_task__isnull=False)
    assert set(rows.values_list("total_run_count", flat=True)) == {1}

    # Due fire times for the ledger too (the tasks were made just now), then control's side.
    Task.objects.update(created_at=timezone.now() - timedelta(minutes=5),
                        last_scheduled_for=timezone.now() - timedelta(seconds=90))
    tasks[0].delete()  # gone before control fires it: the rest of its batch still fires
    for _, ids in sent:
        control.fire_schedules(ids)
    runs = Run.objects.filter(trigger=Run.Trigger.SCHEDULE)
    assert runs.values("task").distinct().count() == len(tasks) - 1
    made = runs.count()
    for _, ids in sent:
        control.fire_schedules(ids)  # a redelivered batch creates nothing twice
    assert runs.count() == made


def test_a_malformed_id_in_a_batch_does_not_stop_the_others(make_task, no_publish):
    task = make_task(name="due", schedule={"interval_seconds": 60})
    Task.objects.filter(pk=task.pk).update(created_at=timezone.now() - timedelta(minutes=5),
                                           last_scheduled_for=timezone.now() - timedelta(seconds=90))
    assert control.fire_schedules(["not-an-id", task.pk]) >= 1
    assert Run.objects.filter(task=task, trigger=Run.Trigger.SCHEDULE).exists()


def record(sent: list):
    """Beat's sends of Taskplane fires (the platform's own sweeps are left out)."""
    def send_task(name, args=None, kwargs=None, **options):
        if name == beat_module.FIRE_MANY_TASK:
            sent.append((name, args[0]))
    return send_task
