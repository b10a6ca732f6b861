"""Drain and resume. The Worker row is the record; the node is told with cancel_consumer /
add_consumer, and every heartbeat reconciles the two (a node restarted while draining starts
consuming again: the next heartbeat shows it and it is told to stop again).

`drained` is what the runbook restarts a node on, so it is set only on evidence from the node
itself: a heartbeat taken after the drain was requested that shows it consuming no queue and
holding no execution, running or received (the Worker row's `running` list lags the node by a
heartbeat and a sweep, so the row at drain time proves nothing). A later heartbeat showing work
again (a restarted node took some before it was told to stop) clears it.
"""

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.utils import timezone

from workers_app.models import Worker
from workers_app.services import remote


class UnknownWorker(ObjectDoesNotExist):
    pass


def find(worker_id: str) -> Worker:
    worker = Worker.objects.filter(worker_id=worker_id).first()
    if worker is None:
        raise UnknownWorker(f"worker {worker_id!r} is not registered")
    return worker


def drain(worker_id: str, *, by: str = "", deadline_seconds: int | None = None) -> Worker:
    """Take no new executions; the running ones should end by the deadline."""
    worker = find(worker_id)
    now = timezone.now()
    seconds = deadline_seconds or settings.TP.worker.drain_deadline_seconds
    Worker.objects.filter(pk=worker.pk).update(
        status=Worker.Status.DRAINING, drain_requested_at=now, drain_requested_by=by,
        drain_deadline=now + timezone.timedelta(seconds=seconds), drained_at=None,
    )
    transaction.on_commit(lambda: remote.stop_consuming(worker.node, worker.queues))
    worker.refresh_from_db()
    return worker


def resume(worker_id: str, *, by: str = "") -> Worker:
    worker = find(worker_id)
    Worker.objects.filter(pk=worker.pk).update(
        status=Worker.Status.ONLINE, drain_requested_at=None, drain_requested_by="", drain_deadline=None,
        drained_at=None,
    )
    transaction.on_commit(lambda: remote.start_consuming(worker.node, worker.queues))
    worker.refresh_from_db()
    return worker


def reconcile(worker: Worker, consuming: list[str], holding: list[str], at) -> None:
    """After a heartbeat taken at `at` (the node's clock): bring what the node does in line with
    what the row says. `holding`: the executions the node runs or has received."""
    if worker.status == Worker.Status.DRAINING:
        if consuming:
            remote.stop_consuming(worker.node, consuming)
        # Taken after the request (a heartbeat queued before it shows an old state) and after the
        # node obeyed it (consuming nothing: it can take no more work), with nothing left.
        idle = not consuming and not holding
        after_request = worker.drain_requested_at is None or at >= worker.drain_requested_at
        if idle and after_request and worker.drained_at is None:
            Worker.objects.filter(pk=worker.pk, status=Worker.Status.DRAINING, drained_at__isnull=True).update(
                drained_at=at)
            worker.drained_at = at
        elif holding and worker.drained_at is not None:
            Worker.objects.filter(pk=worker.pk, drained_at__isnull=False).update(drained_at=None)
            worker.drained_at = None
    elif worker.status == Worker.Status.ONLINE:
        missing = [q for q in worker.queues if q not in consuming]
        # Re-read before ordering it back to work: a drain may have landed since the row was read.
        if missing and consuming is not None and Worker.objects.filter(pk=worker.pk, status=Worker.Status.ONLINE).exists():
            remote.start_consuming(worker.node, missing)
