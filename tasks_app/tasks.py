"""Celery tasks of the control role: thin; they parse, call one domain function, report."""

import logging

from celery import shared_task
from django.db import OperationalError

from tasks_app.services import cancelling, dispatch, events, firing, retrying

log = logging.getLogger(__name__)
# A database hiccup (lock timeout, deadlock victim, failover) must not lose an event.
DB_RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": 1, "retry_backoff_max": 30, "max_retries": 10}


@shared_task(name="control.run_event", ignore_result=True, acks_late=True, **DB_RETRY)
def run_event(event: dict) -> str:
    try:
        return events.apply_event(event)
    except events.InvalidEvent as exc:
        log.error("rejected a run event: %s: %r", exc, event)
        return "rejected"


@shared_task(name="control.fire_schedule", ignore_result=True, **DB_RETRY)
def fire_schedule(task_id: int) -> int:
    return len(firing.fire_due(int(task_id)))


@shared_task(name="control.fire_schedules", ignore_result=True, **DB_RETRY)
def fire_schedules(task_ids: list, fence: int | None = None) -> int:
    """Beat's batched form of fire_schedule (instances_app.scheduler); both stay accepted.
    `fence`: the sender's lease token; a batch from a superseded leader is refused (the current
    leader, or the sweep, fires what is due, under the misfire policy)."""
    return firing.fire_many(task_ids, fence=fence)  # it reads each id on its own: a bad one spoils no other


@shared_task(name="control.sweep", ignore_result=True)
def sweep() -> dict:
    """Periodic maintenance; every step is idempotent, so two dispatchers sweeping is harmless."""
    from workers_app.services import detect_lost_workers, evaluate_health, flush_snapshots, mark_routing

    steps = {
        "heartbeats": flush_snapshots,
        "republished": dispatch.republish_stale,
        "retries": retrying.dispatch_due_retries,
        "fired": firing.fire_all_due,
        "lost_workers": detect_lost_workers,
        "cancels": cancelling.repeat_cancels,
        "stalled_workers": evaluate_health,
        "unroutable": mark_routing,
    }
    done = {}
    for name, step in steps.items():
        try:
            done[name] = step()
        except Exception:  # one broken step must not stop the others
            log.exception("sweep step %s failed", name)
    return done
