"""Benchmark (not a test): `manage.py cleanup` over 1,000,000 runs on PostgreSQL while the
platform keeps being used.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/taskplane_bench \
        .venv/bin/python bench/cleanup_1m.py [--runs 1000000] [--seconds 15]

It (re)creates the database named in DATABASE_URL's path if missing, migrates it, empties the
run tables, COPYs --runs runs (one attempt each) spread over the last 100 days, then measures
two operations in loops on their own threads and connections, first alone (the baseline) and
then while cleanup --older-than 30d --keep-failed-days 60 runs:

- read: the runs list as the API serves it (latest 50 of a task, with its task), plus a count
  of running runs;
- write: an engine-style compare-and-set UPDATE of a recent run.

Prints rows, batches/s, runs/s, total time and p50/p99/max latencies with and without the
cleanup. Results also go to bench/results/ (gitignored).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.harness import ensure_database, setup_django  # noqa: E402

STATUSES = [("succeeded", 85), ("failed", 8), ("dead", 3), ("cancelled", 2), ("timed_out", 1), ("skipped", 1)]
COLUMNS = ("task_id", "status", "trigger", "params", "attempt", "fence", "hold_reason", "routing_error", "queue",
           "worker", "created_at", "queued_at", "started_at", "finished_at", "exit_code", "stdout", "stderr", "error",
           "cancelled_by", "node", "triggered_by")  # COPY sets no Django default: every NOT NULL column is here


def populate(n: int) -> dict:
    from django.db import connection

    from tasks_app.models import Task

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE tasks_app_runattempt, tasks_app_outboxentry, tasks_app_run RESTART IDENTITY CASCADE")
    Task.objects.all().delete()
    tasks = [Task.objects.create(name=f"bench-{i}", type="shell", spec={"command": "true"},
                                 retention_days={0: 90, 1: 7}.get(i)) for i in range(20)]
    now = datetime.now(UTC)
    weights = [w for _, w in STATUSES]
    names = [s for s, _ in STATUSES]
    rng = random.Random(7)
    started = time.monotonic()
    raw = connection.connection  # the psycopg connection under Django's
    with raw.cursor() as cursor:
        with cursor.copy(f"COPY tasks_app_run ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for i in range(n):
                # Ascending in time, as real ids are; the last 2% are still active.
                at = now - timedelta(days=100) + timedelta(days=100) * (i / n)
                status = rng.choices(names, weights)[0] if i < n * 0.98 else rng.choice(["running", "queued"])
                done = status not in ("running", "queued")
                copy.write_row((
                    rng.choice(tasks).pk, status, "schedule", "{}", 1, "f", "", "", "tasks.shell", "bench-worker",
                    at, at, at if status != "queued" else None, at + timedelta(seconds=3) if done else None,
                    0 if status == "succeeded" else (1 if done else None),
                    "ok\n" * 20 if done else "", "", "" if status == "succeeded" else "exit 1", "", "", "",
                ))
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO tasks_app_runattempt (run_id, attempt, fence, status, worker, error) "
                       "SELECT id, 1, 'f', status, worker, '' FROM tasks_app_run")
        cursor.execute("ANALYZE tasks_app_run")
        cursor.execute("ANALYZE tasks_app_runattempt")
    return {"runs": n, "tasks": len(tasks), "insert_seconds": round(time.monotonic() - started, 1)}


class Load:
    """Two operations in loops, each on its own thread (and so its own connection)."""

    def __init__(self):
        from tasks_app.models import Run, Task

        self.task = Task.objects.get(name="bench-3")
        self.recent = list(Run.objects.filter(status="running").values_list("pk", flat=True)[:200])
        self.samples: dict[str, list[float]] = {}
        self.stop = threading.Event()

    def read(self):
        from tasks_app.models import Run

        list(Run.objects.filter(task=self.task).select_related("task").defer("stdout", "stderr")
             .order_by("-created_at", "-id")[:50])
        Run.objects.filter(status="running").count()

    def write(self):
        from tasks_app.models import Run

        Run.objects.filter(pk=random.choice(self.recent), status="running").update(worker=f"w{random.randint(1, 9)}")

    def _loop(self, name, op):
        from django.db import connection

        samples = self.samples.setdefault(name, [])
        while not self.stop.is_set():
            started = time.perf_counter()
            op()
            samples.append(time.perf_counter() - started)
            time.sleep(0.005)
        connection.close()

    def run(self, during):
        self.samples, self.stop = {}, threading.Event()
        ops = (("read", self.read), ("write", self.write))
        threads = [threading.Thread(target=self._loop, args=(name, op)) for name, op in ops]
        for t in threads:
            t.start()
        try:
            result = during()
        finally:
            self.stop.set()
            for t in threads:
                t.join()
        return result, {name: summary(values) for name, values in self.samples.items()}


def summary(values: list[float]) -> dict:
    values = sorted(values)
    pick = lambda q: values[min(len(values) - 1, int(q * len(values)))] * 1000  # noqa: E731
    return {"n": len(values), "p50_ms": round(statistics.median(values) * 1000, 2), "p99_ms": round(pick(0.99), 2),
            "max_ms": round(values[-1] * 1000, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=15.0, help="length of the baseline measurement")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("set DATABASE_URL to a PostgreSQL database for the benchmark (it is emptied)")
    ensure_database(url)
    setup_django()
    from tasks_app.services.cleanup import Policy, cleanup, count

    print(f"populating {args.runs} runs ...", flush=True)
    info = populate(args.runs)
    print(f"inserted {info['runs']} runs (+1 attempt each) in {info['insert_seconds']}s", flush=True)
    load = Load()
    _, baseline = load.run(lambda: time.sleep(args.seconds))
    policy = Policy(older_than=timedelta(days=30), keep_failed=timedelta(days=60))
    expected = sum(count(policy).values())

    def do_cleanup():
        last = [time.monotonic()]

        def progress(p):
            if time.monotonic() - last[0] >= 5:
                last[0] = time.monotonic()
                print(f"  batch {p.batches}: {p.deleted} deleted ({p.deleted / p.elapsed:.0f} runs/s)", flush=True)

        return cleanup(policy, on_batch=progress)

    print(f"cleanup --older-than 30d --keep-failed-days 60: {expected} runs to delete ...", flush=True)
    done, during = load.run(do_cleanup)
    result = {
        **info, "deleted": done.deleted, "expected": expected, "batches": done.batches,
        "batch_size": policy.batch_size, "cleanup_seconds": round(done.elapsed, 1),
        "batches_per_second": round(done.batches / done.elapsed, 2),
        "runs_per_second": round(done.deleted / done.elapsed),
        "baseline": baseline, "during_cleanup": during,
    }
    print(json.dumps(result, indent=2))
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    (results / f"cleanup_1m-{datetime.now():%Y%m%d-%H%M%S}.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
