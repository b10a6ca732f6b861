"""B3's data and isolation: N Taskplane tasks with their beat rows, made in bulk the way
beat_sync makes them one by one, and the settings that keep the run to itself."""

from __future__ import annotations

import json
from contextlib import contextmanager

BATCH = 5000


def empty_tables() -> None:
    """Tasks (and what hangs off them: runs, attempts, outbox) and every beat row."""
    from django.db import connection
    from django_celery_beat.models import PeriodicTask, PeriodicTasks

    from tasks_app.models import Task

    if connection.vendor == "postgresql":
        tables = [Task._meta.db_table, PeriodicTask._meta.db_table]
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
    else:
        Task.objects.all().delete()
        PeriodicTask.objects.all().delete()
    PeriodicTasks.update_changed()


def create_rows(n: int, queue: str, interval_seconds: int) -> list[int]:
    """n shell tasks on an interval, each with the PeriodicTask sync_to_beat would give it
    (queue: this run's own control queue, see isolate). Returns the task ids."""
    from django.db import connection
    from django_celery_beat.models import PeriodicTask, PeriodicTasks

    from tasks_app.models import Task
    from tasks_app.schedules import parse_schedule
    from tasks_app.services import beat_sync

    empty_tables()
    schedule = {"interval_seconds": interval_seconds}
    tasks = Task.objects.bulk_create(
        [Task(name=f"b3-{i}", type="shell", spec={"command": "true"}, schedule=schedule) for i in range(n)],
        batch_size=BATCH)
    kind, beat_schedule = beat_sync._beat_schedule(parse_schedule(schedule, default_anchor=tasks[0].created_at))
    rows = PeriodicTask.objects.bulk_create([
        PeriodicTask(name=f"taskplane: {t.name} (#{t.pk})", task=beat_sync.FIRE_TASK, args=json.dumps([t.pk]),
                     queue=queue, enabled=True, one_off=False, **{kind: beat_schedule},
                     description=f"Fires Taskplane task {t.name!r}; edit the task, or this row, either way.")
        for t in tasks], batch_size=BATCH)
    for task, row in zip(tasks, rows):
        task.periodic_task_id = row.pk
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # bulk_update of 100k rows is minutes; this is one statement
            cursor.execute(
                f"UPDATE {Task._meta.db_table} SET periodic_task_id = v.p FROM "
                f"(SELECT unnest(%s::bigint[]) AS t, unnest(%s::bigint[]) AS p) v WHERE id = v.t",
                [[t.pk for t in tasks], [r.pk for r in rows]])
    else:
        Task.objects.bulk_update(tasks, ["periodic_task"], batch_size=BATCH)
    PeriodicTasks.update_changed()
    return [t.pk for t in tasks]


@contextmanager
def isolate(settings, uid: str, broker_url: str):
    """Our own Redis key prefix (the leader lease) and broker; beat's static entries (the sweeps,
    which would publish to the shared control queue) off. Keys under the prefix go at the end."""
    import redis

    from scheduler_project.celery import app
    from scheduler_project.redis_store.client import get_redis

    prefix = f"bench-b3-{uid}"
    saved_tp, saved = settings.TP, {k: app.conf[k] for k in ("broker_url", "beat_schedule")}
    p2, mq = settings.TP.scheduler.phase2, settings.TP.message_queue
    settings.TP = settings.TP.model_copy(update={
        "scheduler": settings.TP.scheduler.model_copy(update={
            "phase2": p2.model_copy(update={"redis": p2.redis.model_copy(update={"key_prefix": prefix})})}),
        # beat_sync puts a task's row on the control queue: ours, so that an edited row stays on it
        "message_queue": mq.model_copy(update={"control_queue": f"bench-b3-{uid}"}),
    })
    app.conf.update(broker_url=broker_url, beat_schedule={})
    try:
        yield prefix
    finally:
        client = get_redis()
        for name in list(client.scan_iter(match=f"{prefix}:*", count=1000)):
            client.delete(name)
        broker = redis.Redis.from_url(broker_url)
        for name in list(broker.scan_iter(match=f"_kombu.binding*.bench-b3-{uid}", count=1000)):
            broker.delete(name)  # kombu's record of our queue's binding
        settings.TP = saved_tp
        app.conf.update(**saved)
