"""What dispatching one run costs the process that does it (docs/performance.md, B1 and B8), on
the benchmark's database and a scratch queue of the Redis broker (purged at the end):

- `trigger`: N calls of tasks_app's definitions.trigger, as B1 and the API's trigger make them
  (the run and its outbox entry in one transaction, published after commit, the run queued):
  B1's "trigger" column;
- `fire`: firing.fire_many over N due interval tasks, as control.fire_schedules fires a batch
  from beat (each task's row locked, its runs and outbox entries written, its cursor moved,
  the runs published after commit): the control role's work per run in B8's burst.

CPU, queries and function calls per run dispatched (queued, or skipped by the misfire policy),
and cProfile's top entries by cumulative time.

    .venv/bin/python bench/profile_dispatch.py {trigger,fire} [N] [--top 25]
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import os
import pstats
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import setup_django  # noqa: E402

SCRATCH_QUEUE = "bench-profile-dispatch"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path", choices=["trigger", "fire"])
    parser.add_argument("n", type=int, nargs="?", default=300)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    os.environ.setdefault("MESSAGE_QUEUE_TYPE", "redis_stream")
    os.environ.setdefault("MESSAGE_QUEUE_URL", "redis://127.0.0.1:6379/5")
    setup_django()
    from celery import current_app
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from bench import brokers
    from tasks_app.models import Run, Task
    from tasks_app.services import definitions, firing

    def triggers(label: str):
        task = Task.objects.create(name=f"profile-trigger-{label}", type="shell", spec=brokers.TRUE_SPEC,
                                   queue=SCRATCH_QUEUE)
        return lambda: sum(definitions.trigger(task) is not None for _ in range(args.n))

    def fires(label: str):
        Task.objects.bulk_create([
            Task(name=f"profile-fire-{label}-{i}", type="shell", spec=brokers.TRUE_SPEC, queue=SCRATCH_QUEUE,
                 schedule={"interval_seconds": 60}) for i in range(args.n)])
        rows = Task.objects.filter(name__startswith=f"profile-fire-{label}-")
        rows.update(created_at=timezone.now() - timedelta(minutes=5),
                    last_scheduled_for=timezone.now() - timedelta(seconds=90))
        ids = list(rows.values_list("pk", flat=True))
        return lambda: firing.fire_many(ids)

    prepared = {"trigger": triggers, "fire": fires}[args.path]
    brokers.empty_engine_tables()
    try:
        prepared("warm")()  # connections, caches
        dispatch = prepared("cpu")
        # Django keeps the last 9,000 queries it logs: a large N would be counted short.
        connection.queries_log = collections.deque(connection.queries_log, maxlen=None)
        with CaptureQueriesContext(connection) as queries:
            cpu, wall = time.process_time(), time.perf_counter()
            runs = dispatch()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        print(f"{args.path}: {runs} runs, {cpu / runs * 1000:.2f} ms CPU, {wall / runs * 1000:.2f} ms wall, "
              f"{len(queries) / runs:.1f} queries per run")
        dispatch = prepared("profile")
        profile = cProfile.Profile(time.process_time)
        runs = profile.runcall(dispatch)
        stats = pstats.Stats(profile)
        # Function calls per run: what the CPU figures measure, without this machine's noise.
        print(f"under cProfile: {stats.total_tt / runs * 1000:.2f} ms CPU, "
              f"{stats.total_calls / runs:.0f} function calls per run")
        # Queued, or skipped by the misfire policy (a fire time older than the task's grace).
        assert not Run.objects.exclude(status__in=["queued", "skipped"]).exists(), "a run was not queued"
        if args.top:
            stats.sort_stats("cumulative").print_stats(args.top)
    finally:
        with current_app.connection_for_write() as conn:
            conn.default_channel.queue_purge(SCRATCH_QUEUE)
        brokers.empty_engine_tables()


if __name__ == "__main__":
    main()
