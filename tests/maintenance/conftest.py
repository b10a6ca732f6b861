"""Fixtures for the maintenance commands (cleanup, vacuum, reindex): runs of given status and age,
and a command runner."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from tasks_app.models import Run, RunAttempt, Task


@pytest.fixture
def make_runs(db):
    """make_runs(task, status, days_old, n=1) -> runs created and finished that many days ago, with an attempt."""
    def make(task: Task, status: str, days_old: float, n: int = 1) -> list[Run]:
        at = timezone.now() - timedelta(days=days_old)
        final = status not in ("pending", "queued", "running", "retrying")
        runs = Run.objects.bulk_create([
            Run(task=task, trigger="manual", status=status, created_at=at, started_at=at,
                finished_at=at if final else None)
            for _ in range(n)
        ])
        RunAttempt.objects.bulk_create([RunAttempt(run=r, attempt=1, fence="f", status=status) for r in runs])
        return runs

    return make


def run_command(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def remaining(task: Task) -> dict[str, int]:
    counts: dict[str, int] = {}
    for status in Run.objects.filter(task=task).values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return counts
