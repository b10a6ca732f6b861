"""The rows tests make, with one set of defaults (fixtures make_task, make_run, make_worker in
tests/conftest.py hand these out). A task is a shell task running `true` unless told otherwise;
its HTTP twin calls a port nobody answers."""

from __future__ import annotations

from django.utils import timezone

from tasks_app import states
from tasks_app.models import Run, Task
from workers_app.models import Worker
from workers_app.services import apply_heartbeats

SPECS = {"shell": {"command": "true"}, "http": {"url": "http://127.0.0.1:9/", "method": "GET"}}


def task(name: str = "t", type: str = "shell", spec: dict | None = None, **fields) -> Task:
    return Task.objects.create(name=name, type=type, spec=spec or dict(SPECS[type]), **fields)


def run(task: Task, status: str = states.PENDING, **fields) -> Run:
    """A run in any status, written directly (no dispatch): a final one has finished when it was made."""
    if status in states.FINAL:
        fields.setdefault("finished_at", fields.get("created_at") or timezone.now())
    fields.setdefault("trigger", Run.Trigger.MANUAL)
    return Run.objects.create(task=task, status=status, **fields)


def worker(worker_id: str = "w1", **fields) -> Worker:
    fields.setdefault("node", f"worker@{worker_id}")
    fields.setdefault("queues", ["tasks.shell"])
    return Worker.objects.create(worker_id=worker_id, **fields)


def heartbeat(worker_id: str = "w1", at=None, **fields) -> Worker:
    """A node's heartbeat applied to the registry the way the control role's sweep applies it."""
    beat = {"worker_id": worker_id, "node": f"worker@{worker_id}", "concurrency": 2, "running": [],
            "at": (at or timezone.now()).isoformat(), **fields}
    apply_heartbeats([beat])
    return Worker.objects.get(worker_id=worker_id)
