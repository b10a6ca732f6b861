"""Fixtures for the maintenance commands (cleanup, vacuum, reindex): runs of given status and age
(the command runner is in helpers.py)."""

from datetime import timedelta

import pytest
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
