"""The worker node's heartbeat: a Celery bootstep in the worker's main process.

Every `heartbeat_interval_seconds` it sends, over the broker, who the node is, what it
serves, which executions it is running (Celery's active requests, whose ids are our
execution ids), which it has received but not started (reserved: a drain is not over while
any is left), and its progress counters. The control role keeps the Worker rows from it.

In a control process the same step notes when its consumer (re)connected, and when it lost
the broker (workers_app.services.listening): a node's silence counts only while heartbeats
could be received.
"""

import logging
import os
import socket
from datetime import UTC, datetime

from celery import bootsteps
from celery.worker import state
from django.conf import settings

from scheduler_project import wire
from scheduler_project.version import __version__
from workers_app.execution import registry_for, resend_reports

log = logging.getLogger(__name__)


def is_execution_worker(consumer) -> bool:
    task_queue = settings.TP.message_queue.task_queue + "."
    queues = consumer.task_consumer.queues if consumer.task_consumer else []
    return any(q.name.startswith(task_queue) for q in queues)


def consuming(consumer) -> list[str]:
    return sorted(q.name for q in consumer.task_consumer.queues) if consumer.task_consumer else []


def receives_heartbeats(consumer) -> bool:
    queues = {q.name for q in consumer.task_consumer.queues} if consumer.task_consumer else set()
    return settings.TP.message_queue.heartbeat_queue in queues


def snapshot(consumer, configured: list[str], status: str = "online") -> dict:
    running = sorted(r.id for r in list(state.active_requests) if r.name == wire.EXECUTE)
    reserved = sorted({r.id for r in list(state.reserved_requests) if r.name == wire.EXECUTE} - set(running))
    concurrency = consumer.pool.num_processes if consumer.pool else 1
    started = state.total_count.get(wire.EXECUTE, 0)
    worker = settings.TP.worker
    return {
        "worker_id": consumer.hostname.split("@", 1)[-1],
        "node": consumer.hostname,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "version": __version__,
        "task_types": list(worker.supported_task_types),
        "tags": list(worker.tags),
        "queues": configured,  # what it was started to consume
        "consuming": consuming(consumer),  # what it consumes now (drain removes them)
        "concurrency": concurrency,
        "running": running,
        "reserved": reserved,
        "executions_started": started,
        "executions_finished": max(0, started - len(running)),
        "status": status,
        "at": datetime.now(UTC).isoformat(),
    }


class Heartbeat(bootsteps.StartStopStep):
    requires = {"celery.worker.consumer.tasks:Tasks"}

    def __init__(self, parent, **kwargs):
        self.timer = None
        self.configured: list[str] = []
        self.listening = False

    def start(self, consumer):
        if receives_heartbeats(consumer):
            from workers_app.services import listening  # control processes only: it needs the models

            listening.started()
            self.listening = True
        if not is_execution_worker(consumer):
            return
        self.configured = self.configured or consuming(consumer)  # kept across broker reconnects
        interval = settings.TP.worker.heartbeat_interval_seconds
        # Cancel markers outlive their runs on purpose (a redelivered copy must not start);
        # a day later they are only clutter.
        registry_for(consumer.hostname).prune()
        self.send(consumer)
        self.timer = consumer.timer.call_repeatedly(interval, self.send, (consumer,), priority=10)

    def stop(self, consumer):
        if self.listening:  # the consumer lost the broker (or the process stops)
            from workers_app.services import listening

            listening.stopped()
            self.listening = False
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
            self.send(consumer, status="offline")

    def send(self, consumer, status: str = "online"):
        try:
            # Finished executions' reports a delivery could not send (issue 14): the broker is
            # back when this beat goes out, so they go first, before the control role can judge
            # a run its node no longer lists.
            resend_reports(consumer.hostname)
        except Exception as exc:
            log.warning("held reports not resent: %s", exc)
        try:
            consumer.app.send_task(
                wire.HEARTBEAT, args=[snapshot(consumer, self.configured, status)],
                queue=settings.TP.message_queue.heartbeat_queue,
            )
        except Exception as exc:  # the broker is away; the next beat tries again
            log.warning("heartbeat not sent: %s", exc)
