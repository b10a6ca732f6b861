"""Progress-based worker health and routing visibility, evaluated by the control sweep.

A worker can heartbeat and yet take nothing: after a broker reconnect its consumer may be
gone while its main process is fine. Heartbeats carry its progress counter; a worker whose
counter has not moved for worker_stall_seconds, while it has free slots and its queues hold
work, is flagged stalled (and asked to consume its queues again).
"""

import logging
import time

from django.conf import settings
from django.utils import timezone

from scheduler_project.metrics import counters
from tasks_app import states
from tasks_app.models import Run
from workers_app.models import Worker
from workers_app.services import remote
from workers_app.services.queues import queue_depths

log = logging.getLogger(__name__)


def evaluate_health(now=None) -> list[str]:
    """Flag (and clear) stalled workers; returns the ids of the workers flagged now."""
    now = now or timezone.now()
    threshold = timezone.timedelta(seconds=settings.TP.dispatcher.worker_stall_seconds)
    candidates = [
        w for w in Worker.objects.filter(status=Worker.Status.ONLINE, progress_at__lt=now - threshold)
        if len(w.running) < w.concurrency
    ]
    Worker.objects.exclude(pk__in=[w.pk for w in candidates]).exclude(stalled_since=None).filter(
        progress_at__gte=now - threshold
    ).update(stalled_since=None)
    if not candidates:
        return []
    depths = queue_depths(q for w in candidates for q in w.queues)
    flagged = []
    for worker in candidates:
        backlog = sum(depths.get(q) or 0 for q in worker.queues)
        if backlog and worker.stalled_since is None:
            Worker.objects.filter(pk=worker.pk, stalled_since__isnull=True).update(stalled_since=now)
            log.error(
                "worker %s is alive but not consuming: no execution started for %ss, %s message(s) waiting",
                worker.worker_id, int((now - worker.progress_at).total_seconds()), backlog,
            )
            remote.start_consuming(worker.node, worker.queues)
            flagged.append(worker.worker_id)
        elif not backlog and worker.stalled_since is not None:
            Worker.objects.filter(pk=worker.pk).update(stalled_since=None)
    return flagged


def served_queues() -> set[str]:
    return {q for consuming in Worker.objects.filter(status=Worker.Status.ONLINE).values_list("consuming", flat=True)
            for q in consuming or []}


def unroutable_runs():
    """Waiting runs that mark_routing found no online worker for."""
    return Run.objects.filter(status__in=[states.PENDING, states.QUEUED]).exclude(routing_error="")


def mark_routing(now=None) -> int:
    """Queued runs whose queue no online worker consumes say so, instead of waiting silently."""
    started = time.perf_counter()
    served = served_queues()
    counters.observe("scheduler_node_selection_duration_seconds", {}, time.perf_counter() - started)
    waiting = Run.objects.filter(status__in=[states.PENDING, states.QUEUED])
    waiting.filter(queue__in=served).exclude(routing_error="").update(routing_error="")
    unserved = waiting.exclude(queue__in=served).exclude(queue="").filter(routing_error="")
    count = 0
    for queue in set(unserved.values_list("queue", flat=True)):
        count += unserved.filter(queue=queue).update(routing_error=f"no online worker consumes queue {queue}")
    return count
