"""The worker registry, kept by the control role from heartbeats; lost-worker recovery."""

import logging
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tasks_app import states
from tasks_app.models import Run
from tasks_app.services.events import conclude_attempt
from workers_app.models import Worker
from workers_app.services.draining import reconcile

log = logging.getLogger(__name__)
FIELDS = ("node", "host", "pid", "version", "task_types", "tags", "queues", "consuming", "concurrency", "running",
          "executions_started", "executions_finished")


class InvalidHeartbeat(ValueError):
    pass


def parse_heartbeat(beat) -> tuple[dict, object]:
    """The Worker fields a heartbeat sets, and its time; InvalidHeartbeat names what is wrong."""
    if not isinstance(beat, dict) or not isinstance(beat.get("worker_id"), str) or not beat["worker_id"]:
        raise InvalidHeartbeat(f"heartbeat without a worker_id: {beat!r}"[:300])
    try:
        at = datetime.fromisoformat(beat["at"]) if beat.get("at") else timezone.now()
        values = {k: beat[k] for k in FIELDS if k in beat}
        values["concurrency"] = max(1, int(values.get("concurrency") or 1))
        for counter in ("executions_started", "executions_finished", "pid"):
            if counter in values:
                values[counter] = int(values[counter])
    except (TypeError, ValueError) as exc:
        raise InvalidHeartbeat(f"heartbeat of {beat['worker_id']} with a bad field: {exc}") from None
    for name in ("running", "queues", "consuming", "task_types", "tags"):
        if name in values and not isinstance(values[name], list):
            raise InvalidHeartbeat(f"heartbeat of {beat['worker_id']}: {name} must be a list")
    values["load"] = len(values.get("running") or []) / values["concurrency"]
    values["last_heartbeat"] = at
    return values, at


UPDATED = [*FIELDS, "load", "last_heartbeat", "status", "progress_at", "stalled_since"]


def apply_heartbeats(beats: list[dict]) -> list[Worker]:
    """Write heartbeats to the registry in bulk: one read, one bulk insert, one bulk update."""
    latest: dict[str, tuple[dict, object, dict]] = {}
    for beat in beats:
        try:
            values, at = parse_heartbeat(beat)
        except InvalidHeartbeat as exc:
            log.error("rejected a heartbeat: %s", exc)
            continue
        if beat["worker_id"] not in latest or at > latest[beat["worker_id"]][1]:
            latest[beat["worker_id"]] = (values, at, beat)
    existing = {w.worker_id: w for w in Worker.objects.filter(worker_id__in=list(latest))}
    created, updated = [], []
    for worker_id, (values, at, beat) in latest.items():
        reported = beat.get("status", Worker.Status.ONLINE)
        worker = existing.get(worker_id)
        if worker is None:
            created.append(Worker(worker_id=worker_id, **values, status=reported, progress_at=at))
            continue
        if at <= worker.last_heartbeat:
            continue  # an older heartbeat (delivered late) never overwrites a newer one
        if values.get("executions_started", 0) != worker.executions_started:
            worker.progress_at, worker.stalled_since = at, None  # it took work (or restarted)
        if reported == Worker.Status.OFFLINE:
            worker.status = Worker.Status.OFFLINE
        elif worker.status in (Worker.Status.LOST, Worker.Status.OFFLINE):
            worker.status = Worker.Status.ONLINE  # back; draining is kept until resumed
        for field, value in values.items():
            setattr(worker, field, value)
        updated.append(worker)
    Worker.objects.bulk_create(created, ignore_conflicts=True)
    Worker.objects.bulk_update(updated, UPDATED)
    for worker in updated:
        if worker.status != Worker.Status.OFFLINE:
            reconcile(worker, worker.consuming, worker.running, worker.last_heartbeat)
    return created + updated


def detect_lost_workers(now=None) -> list[str]:
    """Workers silent for worker_timeout_seconds become lost, and so do their running runs.

    Idempotent and safe with several control processes: the worker's status flips with a
    compare-and-set that only one of them wins, and each run's attempt is concluded with
    its own compare-and-set (conclude_attempt), so a run is retried once.
    """
    now = now or timezone.now()
    cutoff = now - timezone.timedelta(seconds=settings.TP.dispatcher.worker_timeout_seconds)
    lost = []
    for worker_id in Worker.objects.filter(
        status__in=[Worker.Status.ONLINE, Worker.Status.DRAINING, Worker.Status.OFFLINE], last_heartbeat__lt=cutoff
    ).values_list("worker_id", flat=True):
        if Worker.objects.filter(worker_id=worker_id, last_heartbeat__lt=cutoff).exclude(
            status=Worker.Status.LOST
        ).update(status=Worker.Status.LOST):
            lost.append(worker_id)
            log.warning("worker %s is lost: no heartbeat since before %s", worker_id, cutoff.isoformat())
    # Runs are swept for every lost worker each time, not only the newly lost ones: a
    # control process that died between the two steps leaves no run behind.
    lost_ids = Worker.objects.filter(status=Worker.Status.LOST).values_list("worker_id", flat=True)
    for run in Run.objects.filter(status=states.RUNNING, worker__in=list(lost_ids)).only("pk", "attempt", "fence", "worker"):
        with transaction.atomic():
            conclude_attempt(
                run.pk, run.attempt, run.fence, states.LOST,
                {"error": f"worker {run.worker} stopped sending heartbeats"}, now, worker=run.worker,
            )
    return lost
