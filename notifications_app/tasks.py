"""Celery tasks of notifications_app, in the control role: thin; they parse, call one domain
function, report."""

import logging

from celery import shared_task

from notifications_app import delivery, sla
from scheduler_project import wire
from tasks_app.tasks import run_steps

log = logging.getLogger(__name__)


@shared_task(name=wire.NOTIFY, ignore_result=True)
def deliver(ids: list) -> int:
    """Hand committed notifications to this process's delivery threads (returns at once: the
    sending happens there, apart from the Celery pool)."""
    if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        log.error("rejected a deliver message: %r is not a list of notification ids", ids)
        return 0
    return delivery.submit(ids[:1000])


@shared_task(name=wire.SWEEP_NOTIFICATIONS, ignore_result=True)
def sweep_notifications() -> dict:
    """Run-level SLAs (late, stale, long_running), then whatever notification is due or abandoned.
    Idempotent: two control processes sweeping at once raise each alert, and send each
    notification, once (conditional updates; notifications_app.sla and .delivery)."""
    return run_steps({"sla": sla.check_all, "submitted": delivery.submit_due})
