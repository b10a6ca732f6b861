"""What the control role's status batches spend on their database connection (docs/performance.md,
B1, sixth session): N messages through scheduler_project.group_commit's batcher, one after the
other as a quiet status queue brings them (each a batch of one, a one-statement transaction on
the control role's pooled connection, as `run_event` would run), the way it runs now (the thread
lingers, connection in hand, for the next message) and the way it ran before (LINGER_SECONDS = 0:
the connection taken from the pool, checked, and given back around every batch); CPU of this
process and of PostgreSQL, and wall time, per batch, the two ways alternating four times.

    .venv/bin/python bench/profile_batch_connection.py [N]
"""

from __future__ import annotations

import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import DEFAULT_DATABASE_URL, ensure_database  # noqa: E402


class ThreadPool:
    """Eight threads, reused, as the control role's pool (Celery's threads pool is a
    ThreadPoolExecutor, `--concurrency 8`)."""

    def __init__(self):
        self.executor = ThreadPoolExecutor(max_workers=8)

    def apply_async(self, target, args, callback=None):
        self.executor.submit(target, *args)

    def join(self):
        self.executor.shutdown(wait=True)


def postgres_cpu() -> float:
    import psutil

    total = 0.0
    for proc in psutil.process_iter(["name"]):
        if "postgres" in (proc.info["name"] or ""):
            try:
                t = proc.cpu_times()
                total += t.user + t.system
            except psutil.Error:
                continue
    return total


def one_way(linger: float, n: int) -> tuple[float, float, float]:
    from django.db import connection, transaction

    from scheduler_project import group_commit
    from scheduler_project.group_commit import GroupCommitTask

    applied = threading.Semaphore(0)

    class Batch(GroupCommitTask):
        name = "bench.batch_connection"

        def run(self, calls):
            with transaction.atomic():
                connection.cursor().execute("SELECT 1")
            return ["applied"] * len(calls)

    class Consumer:
        pool, connection_errors = ThreadPool(), ()  # a pool per way: the kept connection leaves with its thread

    group_commit.LINGER_SECONDS = linger
    task = Batch()
    on_message = task.Strategy(task, None, Consumer())
    settle = lambda logger, errors, *requeue: applied.release()  # noqa: E731
    cpu, pg, wall = time.process_time(), postgres_cpu(), time.perf_counter()
    for i in range(n):
        on_message(None, [[{"n": i}], {}, {}], settle, settle, set())
        applied.acquire(timeout=30)
    cpu, pg, wall = time.process_time() - cpu, postgres_cpu() - pg, time.perf_counter() - wall
    Consumer.pool.join()
    return cpu / n * 1000, pg / n * 1000, wall / n * 1000


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    if not os.environ["DATABASE_URL"].startswith("postgres"):
        sys.exit("needs PostgreSQL (DATABASE_URL): the pool and its check are the point")
    ensure_database(os.environ["DATABASE_URL"])
    os.environ["TASKPLANE_ROLE"] = "control"  # the control role's pooled, checked connections
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scheduler_project.settings")
    import django

    django.setup()
    from scheduler_project import group_commit

    ways = {"connection kept (now)": group_commit.LINGER_SECONDS, "given back per batch (before)": 0.0}
    results: dict[str, list[tuple[float, float, float]]] = {name: [] for name in ways}
    for _ in range(4):
        for name, linger in ways.items():
            results[name].append(one_way(linger, n))
    for name, rows in results.items():
        cpu, pg, wall = (sorted(column)[len(column) // 2] for column in zip(*rows, strict=True))
        print(f"{name:32} CPU {cpu:.3f} ms, PostgreSQL {pg:.3f} ms, wall {wall:.3f} ms per batch (median of 4 x {n})")


if __name__ == "__main__":
    main()
