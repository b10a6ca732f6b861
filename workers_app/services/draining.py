"""Drain and resume. The Worker row is the record; the node is told with cancel_consumer /
add_consumer, and every heartbeat reconciles the two (a node restarted while draining starts
consuming again: the next heartbeat shows it and it is told to stop again)."""

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
        drain_deadline=now + timezone.timedelta(seconds=seconds),
        drained_at=now if not worker.running else None,
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


def reconcile(worker: Worker, consuming: list[str], running: list[str], at) -> None:
    """After a heartbeat: bring what the node does in line with what the row says."""
    if worker.status == Worker.Status.DRAINING:
        if consuming:
            remote.stop_consuming(worker.node, consuming)
        if not running and worker.drained_at is None:
            Worker.objects.filter(pk=worker.pk, drained_at__isnull=True).update(drained_at=at)
            worker.drained_at = at
    elif worker.status == Worker.Status.ONLINE:
        missing = [q for q in worker.queues if q not in consuming]
        if missing and consuming is not None:
            remote.start_consuming(worker.node, missing)
