"""Beat's in-memory schedule: django-celery-beat's rows, kept in step incrementally.

Stock DatabaseScheduler re-reads every row whenever PeriodicTasks.last_update moves and compares
the whole schedule on every tick, so an edit costs O(N) and so does an idle tick. Here each
entry holds its next due time in a heap (a tick looks at the top only), and an edit re-reads
only the rows whose date_changed is recent:

- LOOKBACK covers a row saved in a transaction that commits after we looked, and writers'
  clocks that run a little behind ours; rows re-read inside it are skipped by their stamp.
- Deletions, and rows disabled without a save, are noticed by comparing the count and sum of
  the enabled ids with ours: one aggregate; all ids are fetched only when they differ.
- A schedule row edited in place (an IntervalSchedule's every) changes no PeriodicTask: the
  schedule rows we use are compared field by field on every change of last_update.
- Every RECONCILE_SECONDS (stock's five minutes) the stamps of all enabled rows are compared
  with ours (one two-column query: a writer's clock far off, a commit later than LOOKBACK), and
  every FULL_RELOAD_SECONDS everything is read again: a queryset update that set no date_changed
  (nothing in Taskplane does that to a schedule) is taken in then, or at a change of leader.
  Stock reloads all rows every five minutes; at 100k rows that blocks beat for tens of seconds.
"""

import heapq
import itertools
import json
import logging
import time
from datetime import timedelta

from celery.utils.time import maybe_make_aware
from django.db.models import Count, Sum
from django.utils import timezone
from django_celery_beat.models import PeriodicTask, PeriodicTasks

from tasks_app.services.beat_sync import FIRE_TASK

log = logging.getLogger("taskplane.instances")
LOOKBACK = timedelta(seconds=30)
RECONCILE_SECONDS = 300
FULL_RELOAD_SECONDS = 3600
KINDS = ("interval", "crontab", "solar", "clocked")
CHUNK = 1000


LEGACY_FIRE_TASK = "control.fire_schedule"  # rows written before they named FIRE_TASK: (task id)


def _one_task(args) -> int:
    return args[0][0] if isinstance(args[0], list) else args[0]


def _fires_one_task(task: str, args, kwargs) -> bool:
    """A Taskplane schedule's row: FIRE_TASK([task id]) (or an older row's LEGACY_FIRE_TASK(task id))."""
    if kwargs or len(args) != 1:
        return False
    if task == FIRE_TASK:
        return isinstance(args[0], list) and len(args[0]) == 1 and type(args[0][0]) is int
    return task == LEGACY_FIRE_TASK and type(args[0]) is int


class Entry:
    """One enabled PeriodicTask. A Taskplane schedule (control.fire_schedules([task id])) keeps
    only its task id and queue: it is fired in batches. Any other row keeps what apply_async
    needs, as stock's ModelEntry builds it."""

    __slots__ = ("pk", "name", "task", "args", "kwargs", "options", "queue", "fire_task_id", "skey", "one_off",
                 "start_time", "expires", "last_run_at", "changed", "gen")

    def __init__(self, row, skey):
        self.pk, self.name, self.task, self.skey, self.changed = row.pk, row.name, row.task, skey, row.date_changed
        self.one_off, self.start_time, self.expires = row.one_off, row.start_time, row.expires
        self.last_run_at = row.last_run_at or row.date_changed or timezone.now()
        if row.start_time and not row.last_run_at:
            self.last_run_at -= timedelta(days=365 * 30)  # as stock: the first fire is at start_time
        args, kwargs = json.loads(row.args or "[]"), json.loads(row.kwargs or "{}")
        self.queue, self.fire_task_id = row.queue, None
        if _fires_one_task(row.task, args, kwargs):
            self.fire_task_id, self.args, self.kwargs, self.options = _one_task(args), None, None, None
            return
        self.args, self.kwargs = args, kwargs
        self.options = {k: getattr(row, k) for k in ("queue", "exchange", "routing_key", "priority")
                        if getattr(row, k) is not None}
        if row.expires_:
            self.options["expires"] = row.expires_
        self.options["headers"] = {**json.loads(row.headers or "{}"), "periodic_task_name": row.name}


class ScheduleIndex:
    def __init__(self, app):
        self.app = app
        self.entries: dict[int, Entry] = {}
        self.ignored: set[int] = set()  # enabled rows we do not schedule (broken, one-off already run)
        self.schedules: dict[tuple, object] = {}  # one celery schedule per schedule row, shared
        self.signatures: dict[tuple, tuple] = {}
        self.heap: list[tuple] = []  # (due epoch seconds, seq, pk, gen, fire?)
        self._seq = itertools.count()
        self._gens = itertools.count()
        self.stamp = None
        self.cursor = None  # the latest date_changed seen
        self.loaded_at = None  # monotonic time of the last full load
        self.reconciled_at = 0.0
        self.id_sum = 0

    # --- loading -------------------------------------------------------------------------
    def load(self) -> None:
        self.stamp = PeriodicTasks.last_change()
        old = self.entries
        self.entries, self.ignored, self.heap, self.id_sum = {}, set(), [], 0
        self.schedules, self.signatures = {}, {}
        rows = PeriodicTask.objects.filter(enabled=True).select_related(*KINDS).order_by("pk")
        newest = None
        for row in rows.iterator(chunk_size=CHUNK):
            newest = max(newest or row.date_changed, row.date_changed)
            self._apply(row, old.get(row.pk))
        self.cursor = newest or timezone.now()
        self.loaded_at = self.reconciled_at = time.monotonic()
        log.info("beat schedule loaded: %d entries", len(self.entries))

    def refresh(self) -> bool:
        """Take in what changed since the last look; True if anything did."""
        if self.loaded_at is None or time.monotonic() - self.loaded_at >= FULL_RELOAD_SECONDS:
            self.load()
            return True
        if time.monotonic() - self.reconciled_at >= RECONCILE_SECONDS:
            self._reconcile()
        stamp = PeriodicTasks.last_change()
        if stamp == self.stamp:
            return False
        self.stamp = stamp
        recent = PeriodicTask.objects.filter(date_changed__gte=self.cursor - LOOKBACK).values_list("pk", "date_changed")
        stale = []
        for pk, changed in recent:
            self.cursor = max(self.cursor, changed)
            entry = self.entries.get(pk)
            if entry is None or entry.changed != changed:
                stale.append(pk)
        self._reload(stale)
        self._check_schedule_rows()
        self._check_ids()
        return True

    def _reconcile(self) -> None:
        self.reconciled_at = time.monotonic()
        stale = [pk for pk, changed in PeriodicTask.objects.filter(enabled=True).values_list("pk", "date_changed")
                 if pk not in self.ignored and (pk not in self.entries or self.entries[pk].changed != changed)]
        self._reload(stale)
        self._check_ids()

    def _reload(self, pks) -> None:
        for start in range(0, len(pks), CHUNK):
            chunk = pks[start:start + CHUNK]
            found = PeriodicTask.objects.filter(pk__in=chunk).select_related(*KINDS).in_bulk()
            for pk in chunk:
                row = found.get(pk)
                old = self.drop(pk)
                if row is not None and row.enabled:
                    self._apply(row, old)

    def _check_ids(self) -> None:
        agg = PeriodicTask.objects.filter(enabled=True).aggregate(n=Count("id"), s=Sum("id"))
        if (agg["n"], agg["s"] or 0) == (len(self.entries) + len(self.ignored), self.id_sum):
            return
        enabled = set(PeriodicTask.objects.filter(enabled=True).values_list("pk", flat=True))
        known = set(self.entries) | self.ignored
        for pk in known - enabled:
            self.drop(pk)
        self._reload(sorted(enabled - known))

    def _check_schedule_rows(self) -> None:
        by_kind: dict[str, list[int]] = {}
        for kind, pk in self.schedules:
            by_kind.setdefault(kind, []).append(pk)
        changed = set()
        for kind, pks in by_kind.items():
            model = PeriodicTask._meta.get_field(kind).related_model
            for start in range(0, len(pks), CHUNK):
                for row in model.objects.filter(pk__in=pks[start:start + CHUNK]):
                    if _signature(row) != self.signatures.get((kind, row.pk)):
                        changed.add((kind, row.pk))
        if changed:  # rare (an operator edited a shared schedule row): re-read its users
            self._reload([e.pk for e in self.entries.values() if e.skey in changed])

    def _apply(self, row, old: Entry | None) -> None:
        try:
            kind = next(k for k in KINDS if getattr(row, f"{k}_id"))
            skey = (kind, getattr(row, f"{kind}_id"))
            if skey not in self.schedules:
                self.schedules[skey] = getattr(row, kind).schedule
                self.signatures[skey] = _signature(getattr(row, kind))
            entry = Entry(row, skey)
            if old is not None and old.last_run_at > entry.last_run_at:
                entry.last_run_at = old.last_run_at  # our own write of it may not have landed yet
            if entry.one_off and row.total_run_count > 0:
                raise _Skip("one-off schedule already ran")
            due, fire = self._evaluate(entry, timezone.now())
        except Exception as exc:  # one broken row must not stop beat: it is left out, and logged
            if not isinstance(exc, _Skip):
                log.error("beat schedule %r left out: %r", row.name, exc)
            self.ignored.add(row.pk)
            self.id_sum += row.pk
            return
        entry.gen = next(self._gens)
        self.entries[row.pk] = entry
        self.id_sum += row.pk
        self._push(entry, due, fire)

    def drop(self, pk: int) -> Entry | None:
        if pk in self.ignored:
            self.ignored.discard(pk)
            self.id_sum -= pk
        entry = self.entries.pop(pk, None)
        if entry is not None:
            self.id_sum -= pk  # its heap items are discarded when they come up (gen)
        return entry

    def retire(self, pk: int) -> Entry | None:
        """Out of the schedule but still enabled until beat's next write disables it: counted
        as ignored meanwhile, so the id check does not load it back and fire it again."""
        entry = self.entries.pop(pk, None)
        if entry is not None:
            self.ignored.add(pk)
        return entry

    # --- due times -----------------------------------------------------------------------
    def _evaluate(self, entry: Entry, now, cache: dict | None = None) -> tuple[float, bool]:
        """(when, fire?): the epoch second the entry is due, or, with fire False, when to look
        at it again (start_time not reached)."""
        now_ts = now.timestamp()
        if entry.start_time and now < entry.start_time:
            return entry.start_time.timestamp(), False
        if cache is not None and entry.skey in cache and entry.last_run_at == now:
            return cache[entry.skey], True
        last = maybe_make_aware(entry.last_run_at).astimezone(self.app.timezone)
        is_due, next_in = self.schedules[entry.skey].is_due(last)
        due = now_ts if is_due else now_ts + next_in
        if cache is not None and entry.last_run_at == now:
            cache[entry.skey] = due
        return due, True

    def _push(self, entry: Entry, due: float, fire: bool) -> None:
        heapq.heappush(self.heap, (due, next(self._seq), entry.pk, entry.gen, fire))

    def next_in(self, now_ts: float) -> float:
        while self.heap and self._current(self.heap[0]) is None:
            heapq.heappop(self.heap)
        return max(0.0, self.heap[0][0] - now_ts) if self.heap else float("inf")

    def _current(self, item) -> Entry | None:
        entry = self.entries.get(item[2])
        return entry if entry is not None and entry.gen == item[3] else None

    def pop_due(self, now) -> tuple[list[Entry], list[Entry]]:
        """Every entry due at `now`, advanced to its next due time (as stock's reserve does
        before sending): (fired, expired). One-offs leave the schedule once fired."""
        now_ts, fired, expired, cache = now.timestamp(), [], [], {}
        while self.heap and self.heap[0][0] <= now_ts:
            item = heapq.heappop(self.heap)
            entry = self._current(item)
            if entry is None:
                continue
            if entry.expires is not None and now >= entry.expires:
                expired.append(self.retire(entry.pk))
                continue
            if item[4]:
                fired.append(entry)
                entry.last_run_at = now
                if entry.one_off:
                    self.retire(entry.pk)
                    continue
            try:
                self._push(entry, *self._evaluate(entry, now, cache))
            except Exception as exc:
                log.error("beat schedule %r left out: %r", entry.name, exc)
                self.drop(entry.pk)
        return fired, expired


class _Skip(Exception):
    pass


def _signature(row) -> tuple:
    return tuple((f.attname, getattr(row, f.attname)) for f in row._meta.concrete_fields)
