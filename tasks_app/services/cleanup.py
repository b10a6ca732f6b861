"""Deleting old runs while the platform keeps running (`manage.py cleanup`).

What goes: runs in a final status (tasks_app.states.FINAL) created, and finished, before
their cutoff. The cutoff is the task's `retention_days` when it has one, else
--older-than; failed, dead, timed_out and lost runs are kept for at least
--keep-failed-days. Active runs are never touched.

How: primary-key windows of batch_size ids, oldest first, from the lowest to the highest id
created before the latest cutoff. Each window is one short transaction that reads at most
batch_size rows through the primary key (whatever the table's size: a `LIMIT` over a filter
would make the planner sort every eligible row, each batch), locks only the runs it deletes
(FOR UPDATE SKIP LOCKED: a row someone else holds is left for the next cleanup) and deletes
them with what depends on them; then a short pause, so the engine's writes and the API's
reads interleave with the cleanup instead of waiting behind one long delete.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection, models, transaction
from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from tasks_app import states
from tasks_app.models import Run, Task

FAILURES = frozenset({states.FAILED, states.DEAD, states.TIMED_OUT, states.LOST})


@dataclass
class Policy:
    older_than: timedelta
    keep_failed: timedelta | None = None
    batch_size: int = 5000
    pause_seconds: float = 0.05
    now: datetime = field(default_factory=timezone.now)

    def classes(self) -> list[tuple[Q, timedelta]]:
        """(which tasks, their retention): each retention_days value with its tasks' ids, then
        every other task with --older-than. Ids rather than a join with the task table keep
        the windowed query on the run table's primary key."""
        by_days: dict[int, list[int]] = {}
        for days, pk in Task.objects.exclude(retention_days=None).values_list("retention_days", "pk"):
            by_days.setdefault(days, []).append(pk)
        own = [pk for pks in by_days.values() for pk in pks]
        classes = [(Q(task_id__in=pks), timedelta(days=days)) for days, pks in sorted(by_days.items())]
        return [*classes, (~Q(task_id__in=own) if own else Q(), self.older_than)]

    def failed_age(self, age: timedelta) -> timedelta:
        return max(age, self.keep_failed) if self.keep_failed else age


@dataclass
class Progress:
    batches: int = 0
    deleted: int = 0
    by_status: Counter = field(default_factory=Counter)
    last_id: int = 0
    max_id: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started


def _older(cutoff: datetime) -> Q:
    # Created and (when it has ended) finished before the cutoff: a run retried for days
    # is as old as its end.
    return Q(created_at__lt=cutoff) & (Q(finished_at__isnull=True) | Q(finished_at__lt=cutoff))


def eligible(policy: Policy) -> tuple[Q, datetime]:
    """The condition on Run of what may be deleted, and the latest cutoff it involves."""
    condition, cutoffs = Q(), []
    for tasks, age in policy.classes():
        kept_cutoff, failed_cutoff = policy.now - age, policy.now - policy.failed_age(age)
        cutoffs += [kept_cutoff, failed_cutoff]
        condition |= tasks & (
            (Q(status__in=states.FINAL - FAILURES) & _older(kept_cutoff))
            | (Q(status__in=FAILURES) & _older(failed_cutoff))
        )
    return Q(status__in=states.FINAL) & condition, max(cutoffs)


def _id_range(latest_cutoff: datetime) -> tuple[int | None, int | None]:
    bounds = Run.objects.filter(created_at__lt=latest_cutoff).aggregate(lo=Min("id"), hi=Max("id"))
    return bounds["lo"], bounds["hi"]


def count(policy: Policy) -> dict[str, int]:
    """What a cleanup would delete, by status (--dry-run)."""
    condition, latest = eligible(policy)
    lo, hi = _id_range(latest)
    if lo is None:
        return {}
    rows = Run.objects.filter(condition, pk__gte=lo, pk__lte=hi).order_by().values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}


def _matching(column: str, ids: list[int]) -> tuple[str, list]:
    """`column` among `ids`. PostgreSQL gets one array parameter: an IN list of 5,000
    placeholders costs more to build and to plan than the delete itself."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [ids]
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", ids


def delete_runs(ids: list[int]) -> None:
    """Delete these runs and what depends on them, inside the caller's transaction.

    One statement per reverse relation (attempts and outbox entries deleted, replays
    unlinked), then one DELETE of the runs: Django's cascading QuerySet.delete() would first
    load every run, stdout and all, into memory."""
    quote = connection.ops.quote_name
    statements = []
    for rel in Run._meta.related_objects:
        table, column = quote(rel.related_model._meta.db_table), quote(rel.field.column)
        where, params = _matching(column, ids)
        if rel.on_delete is models.CASCADE and not rel.related_model._meta.related_objects:
            statements.append((f"DELETE FROM {table} WHERE {where}", params))
        elif rel.on_delete is models.SET_NULL:
            statements.append((f"UPDATE {table} SET {column} = NULL WHERE {where}", params))
        elif rel.on_delete is not models.DO_NOTHING:
            # Dependents of dependents, PROTECT, RESTRICT (some other app): Django enforces them.
            Run._base_manager.filter(pk__in=ids).delete()
            return
    where, params = _matching(quote(Run._meta.pk.column), ids)
    statements.append((f"DELETE FROM {quote(Run._meta.db_table)} WHERE {where}", params))
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)


def cleanup(policy: Policy, on_batch: Callable[[Progress], None] | None = None) -> Progress:
    condition, latest = eligible(policy)
    lo, hi = _id_range(latest)
    progress = Progress(last_id=(lo or 1) - 1, max_id=hi or 0)
    if lo is None:
        return progress
    start = lo
    while start <= hi:
        end = min(start + policy.batch_size - 1, hi)
        with transaction.atomic():
            rows = list(
                Run.objects.filter(condition, pk__gte=start, pk__lte=end)
                .select_for_update(skip_locked=True, of=("self",))
                .values_list("pk", "status")
            )
            if rows:
                delete_runs([pk for pk, _ in rows])
        progress.last_id, start = end, end + 1
        if not rows:
            continue  # a window with nothing to delete: no pause, on to the next
        progress.batches += 1
        progress.deleted += len(rows)
        progress.by_status.update(status for _, status in rows)
        if on_batch:
            on_batch(progress)
        if start <= hi:
            time.sleep(policy.pause_seconds)
    return progress
