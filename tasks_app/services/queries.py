"""What an operator looks up: a task by name or id, a run, runs by the API's filters. Names that
do not exist are errors (UnknownTask, UnknownRun, UnknownWorker), never an empty answer: a typo
in `runs list --task backpu` must not read as "no runs"."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.http import QueryDict

from scheduler_project.hooks import Hook
from tasks_app.models import Run, Task

MAX_LIMIT = 500  # as the API's pages


class UnknownTask(ObjectDoesNotExist):
    pass


class UnknownRun(ObjectDoesNotExist):
    pass


class UnknownWorker(ObjectDoesNotExist):
    pass


class InvalidFilter(ValueError):
    """A filter value the API would refuse with a 400: the message names the parameter."""


# workers_app provides it: whether its registry has this worker id (without it: only the runs tell).
worker_registered = Hook("worker_registered", lambda worker_id: False)


def find_task(ref: str | int) -> Task:
    """A task by its name, or by its id when no task has that name."""
    text = str(ref).strip()
    task = Task.objects.filter(name=text).first()
    if task is None and text.isdigit() and len(text) <= 18:
        task = Task.objects.filter(pk=int(text)).first()
    if task is None:
        raise UnknownTask(f"unknown task {text!r}: no task has this name or id")
    return task


def find_run(run_id: int, detail: bool = True) -> Run:
    runs = Run.objects.select_related("task")
    if detail:
        runs = runs.prefetch_related("attempts")
    run = runs.filter(pk=run_id).first()
    if run is None:
        raise UnknownRun(f"unknown run {run_id}: no run has this id")
    return run


def check_worker(worker_id: str) -> None:
    """A worker id is known when the registry has it, or a run records it (a worker that has
    since left the registry, or whose heartbeats no sweep has written yet)."""
    if not worker_registered(worker_id) and not Run.objects.filter(worker=worker_id).exists():
        raise UnknownWorker(f"unknown worker {worker_id!r}: no worker with this id is registered")


def list_runs(filters: dict, limit: int = 50):
    """Runs newest first, narrowed by the filters of GET /api/v1/runs/ (the API's own filterset,
    so that the same values mean the same runs and the same values are refused): task (an id),
    status (a list), trigger, worker, created_after/before, scheduled_after/before (ISO 8601).
    The output fields are left out, as in the API's list."""
    from tasks_app.api.filters import RunFilter  # the API's filterset is the one definition of these filters

    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidFilter(f"limit: {limit} is not from 1 to {MAX_LIMIT}")
    data = QueryDict(mutable=True)
    for name, value in filters.items():
        if value is None or value == []:
            continue
        for item in value if isinstance(value, list | tuple) else [value]:
            data.appendlist(name, str(item))
    filterset = RunFilter(data, queryset=Run.objects.select_related("task").defer("stdout", "stderr", "response_headers"))
    if not filterset.is_valid():
        raise InvalidFilter("; ".join(f"{name}: {' '.join(str(m) for m in messages)}"
                                      for name, messages in filterset.errors.items()))
    return list(filterset.qs.order_by("-created_at", "-id")[:limit])
