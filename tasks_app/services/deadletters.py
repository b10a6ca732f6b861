"""Dead runs, the runs' dead letters: runs whose retries are exhausted (status dead), kept for
replay (definitions.replay) until purged. The inbox dead letters are instances_app's."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.db.models import Q

from tasks_app import states
from tasks_app.models import Run
from tasks_app.services.cleanup import delete_runs

PURGE_BATCH = 1000


class UnknownDeadRun(ObjectDoesNotExist):
    pass


def dead_runs():
    return Run.objects.filter(status=states.DEAD)


def get(run_id: int) -> Run:
    run = dead_runs().select_related("task").filter(pk=run_id).first()
    if run is None:
        raise UnknownDeadRun(f"no dead letter run-{run_id}: no dead run has this id")
    return run


def purge(older_than: datetime | None = None, task_id: int | None = None, batch: int = PURGE_BATCH,
          run_ids: list[int] | None = None) -> int:
    """Delete dead runs (only those that ended before `older_than`, only one task's, only these ids), in short
    transactions of `batch` runs each, through cleanup.delete_runs (one statement per table,
    never loading their output). Returns how many went."""
    doomed = dead_runs()
    if run_ids is not None:
        doomed = doomed.filter(pk__in=run_ids)
    if older_than is not None:
        doomed = doomed.filter(Q(finished_at__lt=older_than) | Q(finished_at__isnull=True, created_at__lt=older_than))
    if task_id is not None:
        doomed = doomed.filter(task_id=task_id)
    if run_ids is not None:
        doomed = doomed.filter(pk__in=run_ids)
    deleted = 0
    while True:
        with transaction.atomic():
            # Locked and re-checked: a run replayed or touched meanwhile is left alone.
            ids = list(doomed.order_by("pk").select_for_update(skip_locked=True).values_list("pk", flat=True)[:batch])
            if not ids:
                return deleted
            delete_runs(ids)
        deleted += len(ids)
