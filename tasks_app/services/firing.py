"""Turning due schedule times into runs: the fire ledger (guarantee 1) and the misfire
policy (guarantee 5).

Each task keeps a cursor, last_scheduled_for: every fire time up to it has been handled.
Firing a task takes the fire times after the cursor up to now. Those within the task's
grace window are on time and run; older ones were missed (no dispatcher was running) and
are handled by the misfire policy: recorded as skipped with the reason, or run. Every one
becomes a row unique on (task, scheduled_for), so two dispatchers firing the same time,
or a beat and the sweep, give one run.
"""

import logging

from django.db import OperationalError, transaction
from django.utils import timezone

from scheduler_project.hooks import Hook
from tasks_app.models import Run, Task, statements
from tasks_app.schedules import fire_times, next_fire_time
from tasks_app.services import dispatch

log = logging.getLogger(__name__)
# Whether a leader newer than the one holding fencing token `token` exists now. Provided by the
# dispatcher side (instances_app.lease.superseded) in its ready(); where nothing provides it, no
# batch is refused: the fire ledger keeps every fire single anyway.
leader_superseded = Hook("leader_superseded", lambda token: False)
MAX_FIRES_PER_CALL = 1000  # a task down for years is caught up over several calls, not one


def plan(task: Task, due: list, now) -> list[tuple]:
    """(fire time, skip reason or "") for each due fire time, per the misfire policy."""
    grace = timezone.timedelta(seconds=task.misfire_grace_seconds)
    on_time = [t for t in due if now - t <= grace]
    missed = [t for t in due if now - t > grace]
    reason = f"missed: no dispatcher ran at this time (misfire policy {task.misfire_policy})"
    if task.misfire_policy == Task.Misfire.RUN_ALL:
        runs = [(t, "") for t in missed]
    elif task.misfire_policy == Task.Misfire.RUN_ONCE and missed and not on_time:
        runs = [(t, reason) for t in missed[:-1]] + [(missed[-1], "")]
    else:
        runs = [(t, reason) for t in missed]
    return runs + [(t, "") for t in on_time]


def fire_due(task_id: int, now=None) -> list[Run]:
    """Create the runs of every due fire time of one task; returns the runs this call made."""
    now = now or timezone.now()
    with transaction.atomic():
        # Written out (models.statements): a burst of fires is the control role's CPU, one task
        # after another (B8). create_run takes this lock as its own (locked=True: no second read
        # of the row), and the run id read with it for the first fire that may be dispatched (its
        # run and outbox entry one INSERT statement on PostgreSQL).
        task, run_id = statements.read_locked_taking_id(Task, task_id, Run)
        if task is None:
            return []
        schedule = task.parsed_schedule
        if schedule is None or not task.enabled:
            Task.objects.filter(pk=task_id).update(next_fire_at=None)
            return []
        since = task.last_scheduled_for or (task.created_at - timezone.timedelta(microseconds=1))
        due = fire_times(schedule, after=since, until=now, limit=MAX_FIRES_PER_CALL)
        created = []
        for scheduled_for, skip_reason in plan(task, due, now):
            # The id goes to the first fire that may be dispatched, the one with an outbox entry to
            # write with it; a skipped fire's insert, and later fires', assign their own.
            taken, run_id = (None, run_id) if skip_reason else (run_id, None)
            run = dispatch.create_run(task, Run.Trigger.SCHEDULE, scheduled_for=scheduled_for, skip_reason=skip_reason,
                                      locked=True, run_id=taken)
            if run is not None:
                created.append(run)
        cursor = due[-1] if due else task.last_scheduled_for
        following = next_fire_time(schedule, cursor or now) if len(due) < MAX_FIRES_PER_CALL else now
        statements.update(Task, {"pk": task_id}, {"last_scheduled_for": cursor, "next_fire_at": following})
    if created:
        log.info("task %s fired %d run(s) up to %s", task_id, len(created), now.isoformat())
    return created


def fire_many(task_ids: list[int], fence: int | None = None, now=None) -> int:
    """Fire a batch of tasks (beat's control.fire_schedules): one task's failure does not stop
    the others. A database error is raised after the whole batch has been tried, so that the
    caller retries it: fire_due is idempotent, the tasks already fired create nothing again.
    Each task takes its own now (unless one is given): a long batch must not judge its last
    task's grace too early.

    `fence` is the sending beat's lease token. A batch from a leader that has been superseded
    (it stalled past its TTL, or the batch was in flight during a handover) is refused: the
    current leader fires what is due, and the sweep's fire_all_due catches up on anything whose
    last_run_at the old leader had already moved, under the task's misfire policy."""
    if fence is not None and leader_superseded(fence):
        log.warning("refused %d fire(s) from a superseded leader (fencing token %s)", len(task_ids), fence)
        return 0
    created, retry = 0, None
    for task_id in task_ids:
        try:
            created += len(fire_due(int(task_id), now))
        except OperationalError as exc:
            retry = exc
        except Exception:
            log.exception("firing task %s failed", task_id)
    if retry is not None:
        raise retry
    return created


def fire_all_due(now=None, batch: int = 500) -> int:
    """The safety net behind beat: every enabled task whose next fire time has passed."""
    ids = Task.objects.filter(enabled=True, next_fire_at__lte=now or timezone.now()).values_list("pk", flat=True)
    return fire_many(list(ids[:batch]), now=now)  # one broken task does not hold back the rest
