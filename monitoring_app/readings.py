"""Every read-side number of the platform, computed in one place: /metrics, /api/v1/stats, the
dashboard and the console all read their counts here, so two screens never disagree on what a
number means.

Every run count goes through an index (status; created_at) and so costs the same on a table
of millions of runs. Multi-instance numbers (live instances, inbox pending, DLQ depths) come
from instances_app's readers, the one definition of each.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone

from tasks_app import states
from tasks_app.models import Run, Task
from workers_app.models import Worker
from workers_app.services.health import unroutable_runs

# The gauge's window for final runs: active runs are counted whatever their age.
FINAL_RUN_WINDOW = timedelta(hours=24)
FAILURES = (states.FAILED, states.TIMED_OUT, states.LOST, states.DEAD)
WAITING = (states.PENDING, states.QUEUED, states.RETRYING)


def _by_status(names, rows) -> dict[str, int]:
    counts = dict.fromkeys(names, 0)
    for status, n in rows:
        counts[status] = n
    return counts


def runs_created_since(since) -> dict[str, int]:
    """Runs created since `since`, by their current status; every status present."""
    rows = Run.objects.filter(created_at__gte=since).order_by().values_list("status").annotate(n=Count("id"))
    return _by_status(states.STATUSES, rows)


def runs_by_status(now=None) -> dict[str, int]:
    """The gauge scheduler_jobs_total: every active run, and the final ones created in the last
    FINAL_RUN_WINDOW (through the (status, next_attempt_at) and created_at indexes)."""
    now = now or timezone.now()
    active = Run.objects.filter(status__in=states.ACTIVE).order_by().values_list("status").annotate(n=Count("id"))
    final = Run.objects.filter(created_at__gte=now - FINAL_RUN_WINDOW, status__in=states.FINAL).order_by() \
        .values_list("status").annotate(n=Count("id"))
    return _by_status(states.STATUSES, [*active, *final])


def waiting_runs() -> dict[str, int]:
    rows = Run.objects.filter(status__in=WAITING).order_by().values_list("status").annotate(n=Count("id"))
    return _by_status(WAITING, rows)


def running_runs() -> int:
    return Run.objects.filter(status=states.RUNNING).count()


def dead_runs() -> int:
    return Run.objects.filter(status=states.DEAD).count()


def unroutable() -> int:
    """Waiting runs whose queue no online worker consumes."""
    return unroutable_runs().count()


def failure_rate(now=None, window: timedelta = timedelta(hours=1)) -> dict:
    """Among the runs created in the window that ended, the share that failed (cancelled and
    skipped runs are neither)."""
    now = now or timezone.now()
    ended = Run.objects.filter(created_at__gte=now - window, status__in=states.FINAL)
    by_status = dict(ended.order_by().values_list("status").annotate(n=Count("id")))
    failed = sum(by_status.get(s, 0) for s in FAILURES)
    total = failed + by_status.get(states.SUCCEEDED, 0)
    return {"failed": failed, "ended": total, "percent": round(100.0 * failed / total, 1) if total else None}


def task_counts() -> dict[str, int]:
    return Task.objects.aggregate(total=Count("id"), enabled=Count("id", filter=Q(enabled=True)))


def workers_by_status() -> dict[str, int]:
    rows = Worker.objects.order_by().values_list("status").annotate(n=Count("id"))
    return _by_status(Worker.Status.values, rows)


def online_workers() -> int:
    return Worker.objects.filter(status__in=Worker.LIVE_STATUSES).count()
