"""What one schedule fire costs the control role (B8's burst: N tasks due in the same second,
fired one after another by control.fire_schedules): firing.fire_many over N due interval tasks,
as a batch from beat is fired (each task's row locked, its run and outbox entry written, the
cursor moved, the run published after commit to a scratch queue of the Redis broker, purged at
the end); CPU, queries and function calls per run fired (docs/performance.md, B8).

    .venv/bin/python bench/profile_fire.py [tasks] [--top 25]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import setup_django  # noqa: E402

SCRATCH_QUEUE = "bench-profile-fire"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("tasks", type=int, nargs="?", default=300)
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
    from tasks_app.services import firing

    def due_tasks(label: str) -> list[int]:
        Task.objects.bulk_create([
            Task(name=f"profile-fire-{label}-{i}", type="shell", spec=brokers.TRUE_SPEC, queue=SCRATCH_QUEUE,
                 schedule={"interval_seconds": 60}) for i in range(args.tasks)])
        rows = Task.objects.filter(name__startswith=f"profile-fire-{label}-")
        rows.update(created_at=timezone.now() - timedelta(minutes=5),
                    last_scheduled_for=timezone.now() - timedelta(seconds=90))
        return list(rows.values_list("pk", flat=True))

    brokers.empty_engine_tables()
    try:
        firing.fire_many(due_tasks("warm")[:20])
        ids = due_tasks("cpu")
        with CaptureQueriesContext(connection) as queries:
            cpu, wall = time.process_time(), time.perf_counter()
            fired = firing.fire_many(ids)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        assert fired >= len(ids), f"{fired} runs fired by {len(ids)} due tasks"
        print(f"fire: {cpu / fired * 1000:.2f} ms CPU, {wall / fired * 1000:.2f} ms wall, "
              f"{len(queries) / fired:.1f} queries per fire")
        ids = due_tasks("profile")
        profile = cProfile.Profile(time.process_time)
        fired = profile.runcall(lambda: firing.fire_many(ids))
        stats = pstats.Stats(profile)
        print(f"under cProfile: {stats.total_tt / fired * 1000:.2f} ms CPU, "
              f"{stats.total_calls / fired:.0f} function calls per fire")
        # Queued, or skipped by the misfire policy (a fire time older than the task's grace).
        assert not Run.objects.exclude(status__in=["queued", "skipped"]).exists(), "a fired run was not queued"
        if args.top:
            stats.sort_stats("cumulative").print_stats(args.top)
    finally:
        with current_app.connection_for_write() as conn:
            conn.default_channel.queue_purge(SCRATCH_QUEUE)
        brokers.empty_engine_tables()


if __name__ == "__main__":
    main()
