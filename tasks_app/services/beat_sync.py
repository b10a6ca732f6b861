"""A task's schedule as a django-celery-beat row, kept consistent whichever side is edited.

Task -> PeriodicTask on every task save. PeriodicTask -> Task when an operator edits the beat
row in the admin (enabled, or its crontab/interval/clocked). Writes made by one direction are
plain queryset updates, which send no signals, so the two never chase each other.
"""

import json
import threading
from datetime import UTC

from django.conf import settings
from django.utils import timezone
from django_celery_beat.models import ClockedSchedule, CrontabSchedule, IntervalSchedule, PeriodicTask

from tasks_app.models import Task
from tasks_app.schedules import ScheduleError, celery_beat_fields, next_fire_time, parse_schedule

# The task beat sends for Taskplane schedules, with one list of task ids (the row: one task).
FIRE_TASK = "control.fire_schedules"
_syncing = threading.local()
PERIOD_SECONDS = {"days": 86400, "hours": 3600, "minutes": 60, "seconds": 1, "microseconds": 1e-6}


def _beat_schedule(schedule) -> tuple[str, object]:
    fields = celery_beat_fields(schedule)
    kind = fields.pop("kind")
    model = {"crontab": CrontabSchedule, "interval": IntervalSchedule, "clocked": ClockedSchedule}[kind]
    return kind, model.objects.get_or_create(**fields)[0]


def sync_to_beat(task: Task) -> PeriodicTask | None:
    schedule = task.parsed_schedule
    existing = PeriodicTask.objects.filter(taskplane_task=task).first()
    if schedule is None:
        if existing:
            existing.delete()
        return None
    kind, beat_schedule = _beat_schedule(schedule)
    values = {
        "task": FIRE_TASK,
        "args": json.dumps([[task.pk]]),
        "queue": settings.TP.message_queue.control_queue,
        "enabled": task.enabled,
        "one_off": kind == "clocked",
        "crontab": None, "interval": None, "clocked": None,
        kind: beat_schedule,
        "description": f"Fires Taskplane task {task.name!r}; edit the task, or this row, either way.",
    }
    _syncing.active = True
    try:
        if existing is None:
            existing = PeriodicTask(name=f"taskplane: {task.name} (#{task.pk})", **values)
        else:
            for field, value in values.items():
                setattr(existing, field, value)
        existing.save()  # PeriodicTask.save() marks the beat schedule as changed
    finally:
        _syncing.active = False
    Task.objects.filter(pk=task.pk).update(periodic_task=existing)
    return existing


def schedule_from_beat(periodic: PeriodicTask, current: dict | None) -> dict | None:
    if periodic.crontab_id:
        c = periodic.crontab
        expression = " ".join([c.minute, c.hour, c.day_of_month, c.month_of_year, c.day_of_week])
        return {"cron": expression, "timezone": str(c.timezone)}
    if periodic.interval_id:
        seconds = int(periodic.interval.every * PERIOD_SECONDS[periodic.interval.period])
        return {**(current or {}), "interval_seconds": max(1, seconds)} if current and "interval_seconds" in current \
            else {"interval_seconds": max(1, seconds)}
    if periodic.clocked_id:
        return {"at": periodic.clocked.clocked_time.astimezone(UTC).isoformat()}
    return current


def _beat_meaning(schedule_json, task: Task):
    try:
        parsed = parse_schedule(schedule_json, default_anchor=task.created_at)
    except ScheduleError:
        return ("invalid", repr(schedule_json))
    return celery_beat_fields(parsed) if parsed is not None else None


def sync_from_beat(periodic: PeriodicTask) -> None:
    if getattr(_syncing, "active", False):
        return
    task = Task.objects.filter(periodic_task=periodic).first()
    if task is None:
        return
    changes = {}
    schedule = schedule_from_beat(periodic, task.schedule)
    # Beat saves its row on every fire (last_run_at): compare meanings, not spellings
    # ("mon-fri" comes back as "1-5"), or each fire would rewrite the task.
    if _beat_meaning(schedule, task) != _beat_meaning(task.schedule, task):
        changes["schedule"] = schedule
    # A one-off row is disabled by beat itself after it fires: that is not a pause.
    if periodic.enabled != task.enabled and not periodic.one_off:
        changes["enabled"] = periodic.enabled
    if changes:
        task.schedule = changes.get("schedule", task.schedule)
        task.enabled = changes.get("enabled", task.enabled)
        task.full_clean(exclude=["periodic_task"], validate_unique=False)
        Task.objects.filter(pk=task.pk).update(**changes, **cursor_reset(task))


def cursor_reset(task: Task) -> dict:
    """After a schedule change or a resume, fires begin from now: the time the task was
    paused, or on another schedule, is not a misfire."""
    now = timezone.now()
    schedule = task.parsed_schedule
    nxt = next_fire_time(schedule, now) if schedule is not None and task.enabled else None
    return {"last_scheduled_for": now, "next_fire_at": nxt}


def on_task_deleted(task: Task) -> None:
    """Before a task is deleted, its beat row goes: left behind, beat would keep firing it (and
    the admin list it) for a task that no longer exists. Deleting it marks the schedule changed."""
    # From the database: the link is written by a queryset update, not into the instance.
    PeriodicTask.objects.filter(taskplane_task__pk=task.pk).delete()


def on_task_saved(task: Task, schedule_changed: bool) -> None:
    if schedule_changed:
        Task.objects.filter(pk=task.pk).update(**cursor_reset(task))
    sync_to_beat(task)
