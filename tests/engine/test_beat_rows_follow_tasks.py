"""Schedules are django-celery-beat rows linked to the task, consistent whichever side is edited."""

import json

from django_celery_beat.models import CrontabSchedule, PeriodicTask

from tasks_app.models import Task
from tasks_app.services import definitions


def test_a_cron_task_gets_a_crontab_row_in_its_timezone(make_task, settings):
    task = make_task(schedule={"cron": "0 9 * * 1-5", "timezone": "Europe/Berlin"})
    row = PeriodicTask.objects.get(taskplane_task=task)
    assert row.task == "control.fire_schedules" and json.loads(row.args) == [[task.pk]]
    assert row.queue == settings.TP.message_queue.control_queue
    assert (row.crontab.minute, row.crontab.hour, str(row.crontab.timezone)) == ("0", "9", "Europe/Berlin")


def test_interval_and_one_off_rows(make_task):
    interval = make_task(name="i", schedule={"interval_seconds": 10})
    assert PeriodicTask.objects.get(taskplane_task=interval).interval.every == 10
    once = make_task(name="o", schedule={"at": "2030-01-01T00:00:00+00:00"})
    row = PeriodicTask.objects.get(taskplane_task=once)
    assert row.one_off and row.clocked.clocked_time.year == 2030


def test_pausing_the_task_disables_the_row_and_removing_the_schedule_deletes_it(make_task):
    task = make_task(schedule={"interval_seconds": 10})
    definitions.set_enabled(task, False)
    assert PeriodicTask.objects.get(taskplane_task=task).enabled is False
    task.schedule = None
    task.save()
    assert not PeriodicTask.objects.filter(name__contains=f"(#{task.pk})").exists()
    assert Task.objects.get(pk=task.pk).next_fire_at is None


def test_editing_the_beat_row_updates_the_task(make_task):
    task = make_task(schedule={"cron": "0 9 * * *", "timezone": "UTC"})
    row = PeriodicTask.objects.get(taskplane_task=task)
    row.enabled = False
    row.crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="30", hour="6", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Tokyo"
    )
    row.save()
    task.refresh_from_db()
    assert task.enabled is False
    assert task.schedule == {"cron": "30 6 * * *", "timezone": "Asia/Tokyo"}



def test_deleting_a_task_deletes_its_beat_row(make_task):
    from django_celery_beat.models import PeriodicTasks

    task = make_task(schedule={"interval_seconds": 30})
    row = PeriodicTask.objects.get(taskplane_task=task)
    before = PeriodicTasks.last_change()
    task.delete()
    assert not PeriodicTask.objects.filter(pk=row.pk).exists()
    assert PeriodicTasks.last_change() != before  # beat notices
