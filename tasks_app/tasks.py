"""Celery tasks of the control role: thin; they parse, call one domain function, report."""

import logging

from celery import shared_task
from django.db import OperationalError

from scheduler_project import wire
from scheduler_project.group_commit import REQUEUE, GroupCommitTask
from tasks_app.services import attempts, cancelling, dispatch, events, firing

log = logging.getLogger(__name__)
# A database hiccup (lock timeout, deadlock victim, failover) must not lose an event.
DB_RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": 1, "retry_backoff_max": 30, "max_retries": 10}


@shared_task(name=wire.RUN_EVENT, base=GroupCommitTask, ignore_result=True, acks_late=True)
def run_event(calls: list) -> list[str]:
    """The status queue's reports, several at a time (scheduler_project.group_commit): one
    transaction per batch, each event its own compare-and-set. One verdict per message; a
    database error puts its message back on the queue."""
    verdicts = events.apply_batch([_event_of(args, kwargs) for args, kwargs in calls])
    return [REQUEUE if verdict == events.RETRY else verdict for verdict in verdicts]


def _event_of(args: list, kwargs: dict):
    """The message's one argument, the event (`send_task(RUN_EVENT, args=[event])`)."""
    if len(args) == 1 and not kwargs:
        return args[0]
    return kwargs.get("event") if list(kwargs) == ["event"] and not args else None  # None: rejected as invalid


@shared_task(name="control.fire_schedule", ignore_result=True, **DB_RETRY)
def fire_schedule(task_id: int) -> int:
    """The one-task form beat rows named before they named control.fire_schedules; still accepted
    for messages and rows written by an older version."""
    return firing.fire_many([task_id])


@shared_task(name="control.fire_schedules", ignore_result=True, **DB_RETRY)
def fire_schedules(task_ids: list, fence: int | None = None) -> int:
    """Fire a batch of tasks (beat sends them, instances_app.scheduler; a beat row of one task
    names it too). `fence`: the sender's lease token; a batch from a superseded leader is refused
    (the current leader, or the sweep, fires what is due, under the misfire policy)."""
    return firing.fire_many(task_ids, fence=fence)  # it reads each id on its own: a bad one spoils no other


def run_steps(steps: dict) -> dict:
    """Run each step of a sweep; one broken step must not stop the others."""
    done = {}
    for name, step in steps.items():
        try:
            done[name] = step()
        except Exception:
            log.exception("sweep step %s failed", name)
    return done


@shared_task(name="control.sweep", ignore_result=True)
def sweep() -> dict:
    """The engine's periodic maintenance; every step is idempotent, so two dispatchers sweeping
    is harmless. (The worker registry has its own sweep: control.sweep_workers.)"""
    return run_steps({
        "republished": dispatch.republish_stale,
        "retries": attempts.dispatch_due_retries,
        "fired": firing.fire_all_due,
        "cancels": cancelling.repeat_cancels,
        "released": dispatch.release_stranded,
    })
