"""What one status event costs the control role, in this process: `started` then `finished`
(succeeded) for N queued runs, through control.run_event's function (the engine's service, its
transaction, its after-commit metrics and live-event signals), in batches of each size given
(1: each event its own transaction, as a quiet queue has them; larger: the batches a busy status
queue gathers, scheduler_project.group_commit); CPU per event, queries per event, and cProfile's
top entries by cumulative time at the largest size (docs/performance.md, B1).

    .venv/bin/python bench/profile_events.py [runs] [--batch 1,50] [--top 25]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import setup_django  # noqa: E402


def queued_runs(task, n: int, label: str) -> list:
    from tasks_app import states
    from tasks_app.models import Run

    return Run.objects.bulk_create([
        Run(task=task, status=states.QUEUED, trigger=Run.Trigger.MANUAL, attempt=1, fence=f"{label}{i}",
            queue="tasks.shell") for i in range(n)])


def events_for(runs, kind: str) -> list[dict]:
    from django.utils import timezone

    at = timezone.now().isoformat()
    extra = {"status": "succeeded", "exit_code": 0, "stdout": ""} if kind == "finished" else {}
    return [{"kind": kind, "run_id": r.pk, "attempt": 1, "fence": r.fence, "worker": "w1", "node": "worker@w1",
             "at": at, **extra} for r in runs]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("runs", type=int, nargs="?", default=300)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--batch", default="1,50", help="batch sizes, comma-separated")
    args = parser.parse_args()
    setup_django()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench import brokers
    from tasks_app.models import Task
    from tasks_app.tasks import run_event

    brokers.empty_engine_tables()
    task = Task.objects.create(name="profile-events", type="shell", spec=brokers.TRUE_SPEC)
    sizes = [int(size) for size in args.batch.split(",")]

    def apply(events: list[dict], size: int) -> None:
        for i in range(0, len(events), size):
            verdicts = run_event.run([([event], {}) for event in events[i:i + size]])
            assert all(v in ("applied", "duplicate") for v in verdicts), verdicts

    try:
        warm = queued_runs(task, 20, "warm")
        for kind in ("started", "finished"):
            apply(events_for(warm, kind), 1)

        for size in sizes:
            for kind in ("started", "finished"):
                runs = queued_runs(task, args.runs, f"cpu-{size}-{kind}-")
                if kind == "finished":
                    apply(events_for(runs, "started"), size)
                batch = events_for(runs, kind)
                with CaptureQueriesContext(connection) as queries:
                    cpu, wall = time.process_time(), time.perf_counter()
                    apply(batch, size)
                    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                print(f"batches of {size}: {kind}: {cpu / len(batch) * 1000:.2f} ms CPU, "
                      f"{wall / len(batch) * 1000:.2f} ms wall, {len(queries) / len(batch):.1f} queries per event")

        runs = queued_runs(task, args.runs, "profile-")
        batch = events_for(runs, "started") + events_for(runs, "finished")
        profile = cProfile.Profile(time.process_time)
        profile.runcall(lambda: apply(batch, max(sizes)))
        stats = pstats.Stats(profile)
        # Function calls per event: what the CPU figures measure, without this machine's noise.
        print(f"under cProfile, batches of {max(sizes)}: {stats.total_tt / len(batch) * 1000:.2f} ms CPU, "
              f"{stats.total_calls / len(batch):.0f} function calls per event")
        stats.sort_stats("cumulative").print_stats(args.top)
    finally:
        brokers.empty_engine_tables()


if __name__ == "__main__":
    main()
