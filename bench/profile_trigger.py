"""What one trigger costs the process that triggers (B1's "trigger" column, the API's and the
dispatcher's work per run): N calls of tasks_app's definitions.trigger, as B1 and the API's
trigger make them (the run and its outbox entry in one transaction, published to the broker
after commit, the run marked queued), on the benchmark's database and a scratch queue of the
Redis broker (purged at the end); CPU per trigger, queries per trigger, and cProfile's top
entries by cumulative time (docs/performance.md, B1).

    .venv/bin/python bench/profile_trigger.py [runs] [--top 25]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import setup_django  # noqa: E402

SCRATCH_QUEUE = "bench-profile-trigger"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("runs", type=int, nargs="?", default=300)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    os.environ.setdefault("MESSAGE_QUEUE_TYPE", "redis_stream")
    os.environ.setdefault("MESSAGE_QUEUE_URL", "redis://127.0.0.1:6379/5")
    setup_django()
    from celery import current_app
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench import brokers
    from tasks_app.models import Run, Task
    from tasks_app.services import definitions

    brokers.empty_engine_tables()
    task = Task.objects.create(name="profile-trigger", type="shell", spec=brokers.TRUE_SPEC, queue=SCRATCH_QUEUE)

    def trigger(n: int) -> None:
        for _ in range(n):
            definitions.trigger(task)

    try:
        trigger(20)  # warm: connections, caches
        with CaptureQueriesContext(connection) as queries:
            cpu, wall = time.process_time(), time.perf_counter()
            trigger(args.runs)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        print(f"trigger: {cpu / args.runs * 1000:.2f} ms CPU, {wall / args.runs * 1000:.2f} ms wall, "
              f"{len(queries) / args.runs:.1f} queries per trigger")
        profile = cProfile.Profile(time.process_time)
        profile.runcall(lambda: trigger(args.runs))
        stats = pstats.Stats(profile)
        # Function calls per trigger: what the CPU figures measure, without this machine's noise.
        print(f"under cProfile: {stats.total_tt / args.runs * 1000:.2f} ms CPU, "
              f"{stats.total_calls / args.runs:.0f} function calls per trigger")
        assert Run.objects.filter(task=task).exclude(status="queued").count() == 0, "a run was not queued"
        if args.top:
            stats.sort_stats("cumulative").print_stats(args.top)
    finally:
        with current_app.connection_for_write() as conn:
            conn.default_channel.queue_purge(SCRATCH_QUEUE)
        brokers.empty_engine_tables()


if __name__ == "__main__":
    main()
