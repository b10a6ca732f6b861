"""Celery tasks of workers_app: thin; they parse, call one domain function, report."""

import json
import logging
import socket

from celery import current_app, shared_task
from django.conf import settings

from scheduler_project import wire
from scheduler_project.broker_guard import BODY_EXCERPT
from tasks_app.tasks import run_steps
from workers_app import services
from workers_app.execution import run_execution

log = logging.getLogger(__name__)


@shared_task(name=wire.EXECUTE, bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def execute_run(self, execution: dict) -> str:
    """Runs on a worker node. Acked after it returns: a node that dies mid-run leaves the
    message to the broker, and the control role fences the redelivered copy."""
    return run_execution(execution, self.request.hostname)


@shared_task(name=wire.PING, ignore_result=True)
def ping(token: str) -> None:
    """A diagnostic round trip: broker -> this worker -> broker -> the control role."""
    current_app.send_task(
        wire.PONG,
        args=[token, settings.WORKER_ID, socket.gethostname()],
        queue=settings.TP.message_queue.control_queue,
    )


@shared_task(name=wire.HEARTBEAT, ignore_result=True)
def heartbeat(beat: dict) -> None:
    # One Redis write (the sweep writes all of them to the registry in bulk), or the registry
    # row itself while Redis is away. No retry: the next heartbeat carries everything this one did.
    try:
        services.receive_heartbeat(beat)
    except services.InvalidHeartbeat as exc:
        # Logged once (WARNING) and kept as a dead letter, like any message the broker's gate refuses.
        services.rejections.refuse(
            "invalid_payload", str(exc), task_name=wire.HEARTBEAT, queue=heartbeat.request.delivery_info.get(
                "routing_key", "") if heartbeat.request.delivery_info else "",
            message_id=heartbeat.request.id or "", node=heartbeat.request.hostname or "", role="control",
            content_type="application/json", body=json.dumps(beat, default=repr)[:BODY_EXCERPT])


@shared_task(name=wire.REJECTED, ignore_result=True)
def message_rejected(report) -> None:
    """A consumer refused a message (scheduler_project/broker_guard.py): keep it as a dead letter."""
    services.rejections.record(report)


@shared_task(name="control.sweep_workers", ignore_result=True)
def sweep_workers() -> dict:
    """The worker registry's periodic maintenance, beside the engine's control.sweep: heartbeats
    written to the registry, lost workers (and their runs), running runs their live node no
    longer runs, queued runs whose messages the broker lost, stalls, unroutable runs, the
    broker's dead letters kept bounded."""
    return run_steps({
        "heartbeats": services.flush_snapshots,
        "lost_workers": services.detect_lost_workers,
        "unreported_runs": services.reconcile_running,
        "lost_messages": services.resend_lost_messages,
        "stalled_workers": services.evaluate_health,
        "unroutable": services.mark_routing,
        "rejected_messages": services.rejections.prune,
    })
