"""B3: beat's scheduler at 10 .. 100k schedules, ours (instances_app.scheduler.LeaderScheduler)
against stock django-celery-beat DatabaseScheduler, in this process, on the same rows.

The rows are what N Taskplane tasks with an hourly interval produce (beat_sync's fields:
control.fire_schedule(task id)), on a queue of this run's own on the Redis broker
(BENCH_REDIS_BROKER_URL); nothing consumes it, it is deleted after each repetition. Each
scheduler is driven the way celery beat's Service drives it: tick(), sleep what it returns.

- idle tick: median wall time of tick() while nothing is due;
- burst drain: every row made due at the same instant B (last_run_at = B - interval before the
  scheduler loads); from B until the tick after which nothing is due, counting the fires
  published (batched messages are decoded). Stock past its time budget is projected from its
  rate so far (its cost per fire grows with N), and the notes say so;
- edit to effect: one task's interval changed through Task.save() (beat_sync saves the row),
  landing halfway through the scheduler's sleep; until its in-memory entry has the new one;
- memory: RSS growth of a fresh process that loads the scheduler with the N rows.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import UTC

from bench import harness

BROKER = os.environ.get("BENCH_REDIS_BROKER_URL", "redis://127.0.0.1:6379/6")
INTERVAL = 3600


def run(report, quick: bool) -> None:
    sizes = [10, 1000, 10_000] if quick else [10, 1000, 10_000, 100_000]
    reps = 2 if quick else 3
    # Quick mode shortens beat's loop so that stock's edits are not all sleep; the full run uses
    # the platform's own CELERY_BEAT_MAX_LOOP_INTERVAL.
    from django.conf import settings

    max_interval = 2.0 if quick else float(settings.CELERY_BEAT_MAX_LOOP_INTERVAL)
    budget = 3.0 if quick else 30.0
    report.note_settings("B3", sizes=sizes, repetitions=reps, interval_seconds=INTERVAL, broker=BROKER,
                         beat_max_loop_interval=max_interval, stock_burst_budget_seconds=budget)
    idle = {}
    with bench_env(max_interval) as env:
        for n in sizes:
            env.seed(n)
            idle[n] = measure_size(report, env, n, reps, budget, quick)
    small, large = sizes[0], sizes[-1]
    ours_growth = idle[large]["ours"] / idle[small]["ours"]
    stock_growth = idle[large]["baseline"] / idle[small]["baseline"]
    report.add("B3", f"idle tick growth {small}->{_k(large)}", ours_growth, stock_growth, "x", higher_is_better=False,
               target=2.0 / stock_growth, target_text="flat in N (ours <= 2x)",
               notes="median idle tick at the largest N divided by that at the smallest")


def measure_size(report, env, n: int, reps: int, budget: float, quick: bool) -> dict:
    label = _k(n)
    variants = {"ours": env.ours, "baseline": env.stock}
    built = {name: make() for name, make in variants.items()}
    try:
        ticks = harness.interleaved(reps * 5, {name: lambda s=s: harness.timed(s.tick) for name, s in built.items()})
        idle = {name: harness.median(v) * 1000 for name, v in ticks.items()}
        report.add("B3", f"idle tick {label}", idle["ours"], idle["baseline"], "ms", higher_is_better=False,
                   samples=ticks)
        edits = harness.interleaved(reps, {name: lambda s=s: env.edit_to_effect(s) for name, s in built.items()})
        ours, stock = harness.median(edits["ours"]), harness.median(edits["baseline"])
        report.add("B3", f"edit to effect {label}", ours, stock, "s", higher_is_better=False,
                   target=1.0 / stock if stock else None, target_text="ours <= 1 s", samples=edits)
    finally:
        for scheduler in built.values():
            env.close(scheduler)
    drains = harness.interleaved(reps, {name: lambda v=name: env.burst(v, n, budget) for name in variants})
    times = {name: [d["seconds"] for d in v] for name, v in drains.items()}
    projected = [name for name, v in drains.items() if any(d["projected"] for d in v)]
    report.add("B3", f"burst drain {label}", harness.median(times["ours"]), harness.median(times["baseline"]), "s",
               higher_is_better=False, target=0.1 if n == 10_000 else None,
               target_text="10x faster than stock" if n == 10_000 else "", samples=drains,
               notes=f"all {n} rows due at once; projected from the rate within the budget: {projected or 'none'}")
    if quick and n < 1000:
        return idle  # memory at 10 entries is only the constant cost of the code path
    memory = harness.interleaved(1, {name: lambda v=name: env.memory(v) for name in variants})
    report.add("B3", f"memory {label}", memory["ours"][0], memory["baseline"][0], "MB", higher_is_better=False,
               samples=memory, notes="RSS growth of a fresh process loading the schedule")
    return idle


def _k(n: int) -> str:
    return f"{n // 1000}k" if n >= 1000 else str(n)


class Env:
    """This run's queue, key prefix and rows; the two schedulers built on them."""

    def __init__(self, uid: str, max_interval: float):
        import redis

        from scheduler_project.celery import app

        self.app, self.uid, self.max_interval = app, uid, max_interval
        self.queue = f"bench-b3-{uid}"
        self.broker = redis.Redis.from_url(BROKER)
        self.task_ids: list[int] = []
        self.load_seconds = {"ours": 2.0, "baseline": 2.0}

    def seed(self, n: int) -> None:
        from bench.b3_rows import create_rows

        self.task_ids = create_rows(n, self.queue, INTERVAL)

    def ours(self):
        from instances_app.scheduler import LeaderScheduler

        scheduler = LeaderScheduler(app=self.app, max_interval=self.max_interval)
        scheduler.tick()  # takes the lease and loads
        return scheduler

    def stock(self):
        from django_celery_beat.schedulers import DatabaseScheduler

        scheduler = DatabaseScheduler(app=self.app, max_interval=self.max_interval)
        scheduler.tick()  # the initial read and the heap
        return scheduler

    def close(self, scheduler) -> None:
        if hasattr(scheduler, "_dirty"):
            scheduler._dirty.clear()  # stock would save every fired row, one by one: not measured
        scheduler.close()
        self.drain_queue()

    def edit_to_effect(self, scheduler) -> float:
        from tasks_app.models import Task

        wait = scheduler.tick()
        while wait <= 0:  # beat's Service ticks again at once when tick() returns 0 or less
            wait = scheduler.tick()
        time.sleep(wait / 2)
        task = Task.objects.get(pk=self.task_ids[len(self.task_ids) // 2])
        seconds = 1800 if task.schedule["interval_seconds"] == INTERVAL else INTERVAL
        task.schedule = {"interval_seconds": seconds}
        task.save()  # beat_sync saves its PeriodicTask, which marks the schedule changed
        start = time.perf_counter()
        time.sleep(wait / 2)
        deadline = start + 600
        while time.perf_counter() < deadline:
            wait = scheduler.tick()
            if _interval_of(scheduler, task.periodic_task_id) == seconds:
                return time.perf_counter() - start
            time.sleep(max(0.0, wait))
        raise TimeoutError("the edit never took effect")

    def burst(self, variant: str, n: int, budget: float) -> dict:
        from django_celery_beat.models import PeriodicTask

        # B: far enough ahead that the scheduler has loaded (as long as last time, and more).
        estimate = self.load_seconds[variant]
        due_at = time.time() + 1.5 * estimate + 1.0
        PeriodicTask.objects.filter(queue=self.queue).update(last_run_at=_aware(due_at - INTERVAL))
        began = time.time()
        scheduler = self.ours() if variant == "ours" else self.stock()
        self.load_seconds[variant] = time.time() - began
        try:
            projected = False
            while True:
                wait = scheduler.tick()
                now = time.time()
                if now >= due_at and wait > 0 and self.count_fires() >= n:
                    break
                if now > due_at + budget:
                    projected = True
                    break
                time.sleep(max(0.0, wait))
            elapsed, fires = time.time() - due_at, self.count_fires()
            if not projected and fires != n:
                raise AssertionError(f"{fires} fires published, expected {n}")
            return {"seconds": elapsed * n / max(fires, 1), "fires": fires, "projected": projected,
                    "late_load": began + self.load_seconds[variant] > due_at}
        finally:
            self.close(scheduler)

    def count_fires(self) -> int:
        total = 0
        for raw in self.broker.lrange(self.queue, 0, -1):
            message = json.loads(raw)
            args = json.loads(base64.b64decode(message["body"]))[0]
            total += len(args[0]) if message["headers"]["task"] == "control.fire_schedules" else 1
        return total

    def drain_queue(self) -> None:
        self.broker.delete(self.queue)

    def memory(self, variant: str) -> float:
        from django.utils import timezone
        from django_celery_beat.models import PeriodicTask

        from tests.support.processes import reap

        PeriodicTask.objects.filter(queue=self.queue).update(last_run_at=timezone.now())  # none due
        argv = [sys.executable, "-m", "bench.b3_memory", variant, str(self.max_interval)]
        child = subprocess.Popen(argv, cwd=harness.ROOT, stdout=subprocess.PIPE, start_new_session=True)
        try:
            out, _ = child.communicate(timeout=600)
        finally:
            reap(child, grace=5)
        self.drain_queue()
        return json.loads(out.decode().strip().splitlines()[-1])["growth_mb"]


def _interval_of(scheduler, periodic_pk: int):
    if hasattr(scheduler, "index"):
        entry = scheduler.index.entries.get(periodic_pk)
        schedule = scheduler.index.schedules[entry.skey] if entry else None
    else:
        entry = next((e for e in scheduler._schedule.values() if e.model.pk == periodic_pk), None)
        schedule = entry.schedule if entry else None
    return schedule.run_every.total_seconds() if schedule is not None else None


def _aware(epoch: float):
    from datetime import datetime

    return datetime.fromtimestamp(epoch, UTC)


@contextmanager
def bench_env(max_interval: float):
    """A key prefix and queue of this run's own, beat's static entries off; all put back after."""
    from django.conf import settings

    from bench.b3_rows import empty_tables, isolate

    uid = secrets.token_hex(4)
    with isolate(settings, uid, BROKER):
        env = Env(uid, max_interval)
        try:
            yield env
        finally:
            env.drain_queue()
            empty_tables()
