"""What the console's pages read, each page a fixed number of queries whatever the rows
(tests/console counts them): lists page through an index, the last runs of a page of tasks
come in one query, no COUNT(*) over runs. Counts come from monitoring_app.readings.
"""

from __future__ import annotations

import base64
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Count, F, OuterRef, Q, Subquery, Window
from django.db.models.functions import RowNumber, TruncMinute
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from console_app.present import outcome, schedule_view, seconds_between
from instances_app import all_deadletters
from tasks_app import states
from tasks_app.models import Run, RunAttempt, Task
from workers_app.models import Worker

OUTPUT_FIELDS = ("stdout", "stderr", "response_headers")
STRIP = 30
TASK_PAGE = 50
RUN_PAGE = 50
HISTORY = 100


def _run_point(row: dict) -> dict:
    """A run as the strips and charts need it."""
    end = row["finished_at"] or (timezone.now() if row["status"] == states.RUNNING else None)
    return {"id": row["id"], "status": row["status"], "created_at": row["created_at"],
            "duration": seconds_between(row["started_at"], end)}


def recent_runs_by_task(task_ids: list[int], n: int = STRIP) -> dict[int, list[dict]]:
    """The last n runs of each task, newest first, in one query: on PostgreSQL a LATERAL join
    reads n index entries per task (run_task_created_idx), however many runs a task has, and
    computes the durations (a page of 50 tasks is 1,500 rows: converting their timestamps in
    Python would cost more than the query); on SQLite a window function (embedded development
    databases are small)."""
    found: dict[int, list[dict]] = defaultdict(list)
    if not task_ids:
        return found
    if connection.vendor == "postgresql":
        table = Run._meta.db_table
        sql = ("SELECT r.task_id, r.id, r.status, r.created_at, EXTRACT(EPOCH FROM COALESCE(r.finished_at, "
               "CASE WHEN r.status = 'running' THEN now() END) - r.started_at) FROM unnest(%s::bigint[]) AS t(id) "
               f"CROSS JOIN LATERAL (SELECT id, task_id, status, created_at, started_at, finished_at FROM {table} "
               "WHERE task_id = t.id ORDER BY created_at DESC, id DESC LIMIT %s) r "
               "ORDER BY r.task_id, r.created_at DESC, r.id DESC")
        with connection.cursor() as cursor:
            cursor.execute(sql, [list(task_ids), n])
            for task_id, run_id, status, created_at, duration in cursor.fetchall():
                found[task_id].append({"id": run_id, "status": status, "created_at": created_at,
                                       "duration": None if duration is None else max(0.0, float(duration))})
        return found
    columns = ("id", "task_id", "status", "created_at", "started_at", "finished_at")
    ranked = (Run.objects.filter(task_id__in=task_ids)
              .annotate(rank=Window(RowNumber(), partition_by=[F("task_id")], order_by=[F("created_at").desc(),
                                                                                       F("id").desc()]))
              .filter(rank__lte=n).order_by("task_id", "-created_at", "-id").values(*columns))
    for row in ranked:
        found[row["task_id"]].append(_run_point(row))
    return found


# --- tasks

@dataclass
class TaskFilters:
    q: str = ""
    tag: str = ""
    type: str = ""
    enabled: str = ""  # "", "yes", "no"
    last: str = ""  # the status of the last run
    page: int = 1

    @classmethod
    def from_query(cls, query) -> TaskFilters:
        page = query.get("page", "1")
        return cls(q=query.get("q", "").strip()[:200], tag=query.get("tag", "").strip()[:100],
                   type=query.get("type", "") if query.get("type") in Task.Type.values else "",
                   enabled=query.get("enabled", "") if query.get("enabled") in ("yes", "no") else "",
                   last=query.get("last", "") if query.get("last") in states.STATUSES else "",
                   page=int(page) if page.isdigit() and 0 < int(page) < 100_000 else 1)


def task_page(filters: TaskFilters) -> tuple[list[dict], bool]:
    """One page of tasks by name (TASK_PAGE, and whether there is a next one), each with its
    last STRIP runs."""
    tasks = Task.objects.order_by("name", "id")
    if filters.q:
        tasks = tasks.filter(Q(name__icontains=filters.q) | Q(description__icontains=filters.q))
    if filters.tag:
        tasks = tasks.filter(tags__icontains=json.dumps(filters.tag))  # the tag as a JSON string: exact element
    if filters.type:
        tasks = tasks.filter(type=filters.type)
    if filters.enabled:
        tasks = tasks.filter(enabled=filters.enabled == "yes")
    if filters.last:
        last = Run.objects.filter(task=OuterRef("pk")).order_by("-created_at", "-id").values("status")[:1]
        tasks = tasks.annotate(last_status=Subquery(last)).filter(last_status=filters.last)
    start = (filters.page - 1) * TASK_PAGE
    page = list(tasks[start:start + TASK_PAGE + 1])
    more = len(page) > TASK_PAGE
    page = page[:TASK_PAGE]
    runs = recent_runs_by_task([t.pk for t in page])
    rows = []
    for task in page:
        recent = runs.get(task.pk, [])
        rows.append({"task": task, "schedule": schedule_view(task.schedule, task.created_at), "runs": recent,
                     "last": recent[0] if recent else None})
    return rows, more


def task_history(task: Task, n: int = HISTORY) -> list[dict]:
    rows = (Run.objects.filter(task=task).order_by("-created_at", "-id")
            .values("id", "status", "trigger", "attempt", "worker", "created_at", "started_at", "finished_at",
                    "exit_code", "http_status", "triggered_by")[:n])
    out = []
    for row in rows:
        point = _run_point(row)
        out.append({**row, **point})
    return out


# --- runs

@dataclass
class RunFilters:
    task: int | None = None
    statuses: tuple[str, ...] = ()
    trigger: str = ""
    worker: str = ""
    window: str = ""  # "1h", "24h", "7d" or ""
    after: datetime | None = None
    before: datetime | None = None
    cursor: str = ""

    WINDOWS = {"1h": timedelta(hours=1), "24h": timedelta(hours=24), "7d": timedelta(days=7)}

    @classmethod
    def from_query(cls, query) -> RunFilters:
        task = query.get("task", "")

        def moment(name):
            raw = query.get(name, "").strip()
            parsed = parse_datetime(raw) if raw else None
            if parsed is not None and parsed.utcoffset() is None:
                parsed = timezone.make_aware(parsed)
            return parsed

        return cls(task=int(task) if task.isdigit() and len(task) < 19 else None,
                   statuses=tuple(s for s in query.getlist("status") if s in states.STATUSES),
                   trigger=query.get("trigger", "") if query.get("trigger") in Run.Trigger.values else "",
                   worker=query.get("worker", "").strip()[:200], window=query.get("window", "")
                   if query.get("window") in cls.WINDOWS else "", after=moment("after"), before=moment("before"),
                   cursor=query.get("cursor", ""))

    def queryset(self):
        runs = Run.objects.select_related("task").defer(*OUTPUT_FIELDS, "params", "task__spec", "task__schedule",
                                                         "task__params", "task__description")
        if self.task:
            runs = runs.filter(task_id=self.task)
        if self.statuses:
            runs = runs.filter(status__in=self.statuses)
        if self.trigger:
            runs = runs.filter(trigger=self.trigger)
        if self.worker:
            runs = runs.filter(worker=self.worker)
        if self.window:
            runs = runs.filter(created_at__gte=timezone.now() - self.WINDOWS[self.window])
        if self.after:
            runs = runs.filter(created_at__gte=self.after)
        if self.before:
            runs = runs.filter(created_at__lt=self.before)
        return runs


def _encode(run: Run, backwards: bool) -> str:
    raw = json.dumps([run.created_at.isoformat(), run.pk, backwards]).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode(raw: str):
    try:
        moment, pk, backwards = json.loads(base64.urlsafe_b64decode((raw + "=" * (-len(raw) % 4)).encode("ascii")))
        parsed = parse_datetime(moment)
        if parsed is None or parsed.utcoffset() is None or type(pk) is not int or type(backwards) is not bool:
            return None
        return parsed, pk, backwards
    except (ValueError, TypeError, UnicodeError):
        return None


def run_page(filters: RunFilters) -> dict:
    """A keyset page of runs, newest first: the API's cursor on (created_at, id), an index range
    scan at any depth and never a count. Returns rows and the next/previous cursors."""
    runs = filters.queryset()
    cursor = _decode(filters.cursor) if filters.cursor else None
    backwards = bool(cursor and cursor[2])
    if cursor is None:
        rows = runs.order_by("-created_at", "-id")
    elif not backwards:
        moment, pk, _ = cursor
        rows = runs.filter(Q(created_at__lte=moment) & (Q(created_at__lt=moment) | Q(id__lt=pk))).order_by(
            "-created_at", "-id")
    else:
        moment, pk, _ = cursor
        rows = runs.filter(Q(created_at__gte=moment) & (Q(created_at__gt=moment) | Q(id__gt=pk))).order_by(
            "created_at", "id")
    page = list(rows[:RUN_PAGE + 1])
    more = len(page) > RUN_PAGE
    page = page[:RUN_PAGE]
    if backwards:
        page.reverse()
        has_next, has_previous = True, more
    else:
        has_next, has_previous = more, cursor is not None
    return {
        "runs": page,
        "next": _encode(page[-1], False) if has_next and page else None,
        "previous": (_encode(page[0], True) if page else "") if has_previous else None,
    }


def run_detail(run_id: int) -> Run | None:
    return Run.objects.select_related("task", "replay_of").filter(pk=run_id).first()


def attempts_of(run: Run) -> list[RunAttempt]:
    return list(RunAttempt.objects.filter(run=run).order_by("attempt"))


def replays_of(run: Run) -> list[dict]:
    return list(Run.objects.filter(replay_of=run).order_by("-created_at").values("id", "status", "created_at")[:20])


# --- workers

def workers() -> list[Worker]:
    rows = list(Worker.objects.order_by("worker_id")[:500])
    rows.sort(key=lambda w: (w.status == Worker.Status.OFFLINE, w.worker_id))  # those that need attention first
    return rows


def worker_runs(worker: Worker, n: int = 50) -> list[Run]:
    return list(Run.objects.filter(worker=worker.worker_id).select_related("task")
                .defer(*OUTPUT_FIELDS, "params", "task__spec", "task__schedule", "task__params", "task__description")
                .order_by("-created_at", "-id")[:n])


# --- dead letters: dead runs and inbox letters, one list

DEAD_PAGE = 50


def dead_letters(limit: int = DEAD_PAGE) -> dict:
    """Dead runs and inbox dead letters together, newest first, each with its source, reason
    and history. The inbox part comes from Redis: if it is unreachable the runs still show."""
    runs = all_deadletters.list_runs(limit=limit)  # the API's and the CLI's listing
    attempts = defaultdict(list)
    for attempt in RunAttempt.objects.filter(run__in=[r.pk for r in runs]).order_by("run_id", "attempt"):
        attempts[attempt.run_id].append(attempt)
    letters = [{"source": "run", "id": f"run-{r.pk}", "at": r.finished_at or r.created_at, "run": r,
                "reason": r.error, "history": attempts.get(r.pk, [])} for r in runs]
    inbox_error = ""
    try:
        for letter in all_deadletters.list_inbox(None, limit):
            moved = parse_datetime(letter.get("moved_at") or "") or None
            letters.append({"source": "inbox", "id": f"inbox-{letter['instance_id']}-{letter['id']}", "at": moved,
                            "letter": letter, "reason": letter.get("reason", ""), "history": letter.get("history", [])})
    except Exception as exc:  # noqa: BLE001  Redis away: the dead runs still show
        inbox_error = f"{type(exc).__name__}: {exc}"
    epoch = timezone.now() - timedelta(days=36500)
    letters.sort(key=lambda item: item["at"] or epoch, reverse=True)
    return {"letters": letters, "inbox_error": inbox_error, "runs_shown": len(runs), "limit": limit}


# --- overview

def runs_per_minute(minutes: int = 180, now: datetime | None = None) -> list[tuple[datetime, dict]]:
    """Runs created in each minute of the last `minutes`, by outcome, every minute present
    (through the created_at index: the window's runs only)."""
    now = now or timezone.now()
    end = now.replace(second=0, microsecond=0)
    start = end - timedelta(minutes=minutes - 1)
    rows = (Run.objects.filter(created_at__gte=start).annotate(minute=TruncMinute("created_at")).order_by()
            .values_list("minute", "status").annotate(n=Count("id")))
    counts: dict[datetime, dict] = defaultdict(lambda: defaultdict(int))
    for minute, status, n in rows:
        counts[minute.replace(second=0, microsecond=0)][outcome(status)] += n
    return [(start + timedelta(minutes=i), dict(counts.get(start + timedelta(minutes=i), {})))
            for i in range(minutes)]


def next_fires(n: int = 10) -> list[dict]:
    """The next fires across all tasks (the engine's next_fire_at, indexed), each in its task's zone."""
    tasks = Task.objects.filter(enabled=True, next_fire_at__isnull=False).order_by("next_fire_at", "id").only(
        "id", "name", "schedule", "created_at", "next_fire_at", "type")[:n]
    return [{"task": t, "at": t.next_fire_at, "schedule": schedule_view(t.schedule, t.created_at)} for t in tasks]
