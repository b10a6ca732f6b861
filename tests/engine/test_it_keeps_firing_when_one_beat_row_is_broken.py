"""A beat row that cannot be scheduled (arguments that are not JSON) is left out and logged;
beat loads and fires the others."""

from datetime import timedelta

from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from instances_app import scheduler as beat_module
from instances_app.scheduler import LeaderScheduler
from scheduler_project.celery import app


def test_the_other_schedules_still_fire(transactional_db, redis_prefix, monkeypatch, make_task, caplog):
    task = make_task(name="fine", schedule={"interval_seconds": 60})
    every = IntervalSchedule.objects.create(every=60, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(name="broken", task="control.fire_schedule", args="[not json", interval=every)
    PeriodicTask.objects.update(last_run_at=timezone.now() - timedelta(minutes=2))
    sent = []
    scheduler = LeaderScheduler(app=app)
    monkeypatch.setattr(scheduler, "send_task", record(sent))
    try:
        scheduler.tick()
    finally:
        scheduler.close()
    assert sent == [(beat_module.FIRE_MANY_TASK, [task.pk])]
    assert "'broken' left out" in caplog.text


def record(sent: list):
    """Beat's sends of Taskplane fires (the platform's own sweeps are left out)."""
    def send_task(name, args=None, kwargs=None, **options):
        if name == beat_module.FIRE_MANY_TASK:
            sent.append((name, args[0]))
    return send_task
