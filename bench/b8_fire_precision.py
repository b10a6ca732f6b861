"""B8, fire precision: N tasks due in the same cron minute, from their fire time to their start.

ours: the whole platform on the Redis broker (dispatcher: beat with the LeaderScheduler, control,
worker: prefork, 5 children), N shell tasks `true` with the cron `M H * * *` of one minute ahead
(made in bulk the way beat_sync makes them one by one, bench/b3_rows.py). Lag of each run:
`Run.started_at` (the worker's stamp on its `started` event, just before the executor runs)
minus `Run.scheduled_for` (the fire time); what the metric taskplane_fire_lag_seconds observes.
baseline: stock django-celery-beat (`celery beat -S DatabaseScheduler`, in bench/bare_settings.py's
minimal project on a scratch database) with N crontab rows for one minute ahead, each sending
`bench.raw_true_latency(key, fire time)` to the raw Celery worker of B1 (same broker, prefork,
same concurrency and prefetch, acks_late), which pushes time.time() minus the fire time before
running `true`.

Figures per N: lag p50 and p99, and the time from the fire time until the last of the N started.
Stock past its budget (its scheduler sends one entry per tick, each tick O(N)) is projected from
its rate so far: the j-th fire is taken to start at j / rate, and the notes say so.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from contextlib import suppress

from bench import brokers
from bench.harness import ROOT, ensure_database, median, percentile

TARGET_P99_SECONDS = 1.0  # at N = 100
TARGET_AHEAD = 10.0  # at larger N: the last start at least 10x sooner than stock's


def _due_minute(lead: float) -> float:
    """The next whole minute at least `lead` seconds away, never minute 0 (stock filters its
    crontab rows by hour: a fire across the hour boundary is not what is measured here)."""
    due = math.ceil((time.time() + lead) / 60) * 60
    if time.gmtime(due).tm_min == 0:
        due += 60
    return float(due)


def _sleep_until(epoch: float) -> None:
    while (left := epoch - time.time()) > 0:
        time.sleep(min(left, 1.0))


def _seed_ours(n: int, prefix: str, due: float) -> None:
    """N tasks with the beat row sync_to_beat would give each (on the platform's control queue),
    their cursor at now, as a save would set it."""
    from datetime import UTC, datetime

    from django.conf import settings
    from django.db import connection
    from django.utils import timezone
    from django_celery_beat.models import PeriodicTask, PeriodicTasks

    from tasks_app.models import Task
    from tasks_app.schedules import parse_schedule
    from tasks_app.services import beat_sync

    at = datetime.fromtimestamp(due, UTC)
    schedule = {"cron": f"{at.minute} {at.hour} * * *", "timezone": "UTC"}
    now = timezone.now()
    tasks = Task.objects.bulk_create(
        [Task(name=f"{prefix}-{i}", type="shell", spec=brokers.TRUE_SPEC, schedule=schedule, last_scheduled_for=now,
              next_fire_at=at) for i in range(n)], batch_size=5000)
    kind, beat_schedule = beat_sync._beat_schedule(parse_schedule(schedule, default_anchor=now))
    rows = PeriodicTask.objects.bulk_create([
        PeriodicTask(name=f"taskplane: {t.name} (#{t.pk})", task=beat_sync.FIRE_TASK, args=json.dumps([[t.pk]]),
                     queue=settings.TP.message_queue.control_queue, enabled=True, one_off=False,
                     **{kind: beat_schedule}) for t in tasks], batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Task._meta.db_table} SET periodic_task_id = v.p FROM "
            f"(SELECT unnest(%s::bigint[]) AS t, unnest(%s::bigint[]) AS p) v WHERE id = v.t",
            [[t.pk for t in tasks], [r.pk for r in rows]])
    PeriodicTasks.update_changed()


def _ours(pair, n: int, rep: int, lead: float) -> dict:
    from tasks_app import states
    from tasks_app.models import Run

    prefix = f"b8-{pair.platform.uid}-{n}-{rep}"
    due = _due_minute(lead)
    _seed_ours(n, prefix, due)
    _sleep_until(due)
    runs = Run.objects.filter(task__name__startswith=f"{prefix}-", trigger=Run.Trigger.SCHEDULE)
    brokers.wait_until(lambda: runs.filter(status__in=states.FINAL, started_at__isnull=False).count() >= n,
                       120 + n / 5, f"{n} scheduled runs to finish", interval=0.5)
    bad = runs.exclude(status=states.SUCCEEDED).first()
    if bad is not None:
        raise RuntimeError(f"run {bad.pk} ended {bad.status}: {bad.error[:300]}")
    rows = list(runs.values_list("scheduled_for", "started_at"))
    if len(rows) != n or any(s.timestamp() != due for s, _ in rows):
        raise RuntimeError(f"{len(rows)} runs, fire times {sorted({s for s, _ in rows})[:3]}, expected {n} at {due}")
    return _figures([started.timestamp() - due for _, started in rows], n, projected=False)


class Stock:
    """Stock celery beat on a scratch database, started per repetition once its rows are in."""

    def __init__(self, pair, uid: str):
        from bench.b7_memory import scratch_database_url

        self.pair, self.uid = pair, uid
        self.db_url = scratch_database_url(uid).replace("_b7bare_", "_b8stock_")
        self.env = {**os.environ, "BENCH_BARE_BROKER_URL": brokers.BROKERS[pair.broker][1](),
                    "BENCH_RAW_TRANSPORT": json.dumps(pair.platform.mq.transport_options()),
                    "BENCH_BARE_DATABASE_URL": self.db_url, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
        for name in ("DJANGO_SETTINGS_MODULE", "TASKPLANE_CONFIG", "TASKPLANE_ROLE", "BENCH_RAW_BROKER_URL"):
            self.env.pop(name, None)
        self.log = pair.platform.tmp / "stock-beat.log"
        ensure_database(self.db_url)

    def measure(self, n: int, rep: int, lead: float, budget: float) -> dict:
        from tests.support.processes import reap

        key = f"{self.pair.prefix}:b8:{n}:{rep}"
        due = _due_minute(lead)
        seeded = subprocess.run([sys.executable, "-m", "bench.b8_stock_rows", str(n), self.pair.raw_queue, key,
                                 str(due)], env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=300)
        if seeded.returncode:
            raise RuntimeError(f"stock rows: {seeded.stderr[-2000:]}")
        beat = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "bench.bare_django_celery", "beat", "--loglevel", "INFO",
             "--pidfile=", "-S", "django_celery_beat.schedulers:DatabaseScheduler"],
            env=self.env, cwd=ROOT, stdout=self.log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)
        redis = self.pair.raw_redis
        try:
            _sleep_until(due)
            deadline = due + budget
            while redis.llen(key) < n and time.time() < deadline:
                time.sleep(0.2)
            elapsed = time.time() - due
        finally:
            reap(beat)
        lags = [float(v) for v in redis.lrange(key, 0, -1)]
        self._drain(key)
        if len(lags) >= n:
            return _figures(lags[:n], n, projected=False)
        if not lags:
            raise RuntimeError(f"stock beat started nothing within {budget:.0f} s: {self.log.read_text()[-2000:]}")
        rate = len(lags) / elapsed  # fires started per second of the burst so far
        rest = [j / rate for j in range(len(lags) + 1, n + 1)]
        return _figures(lags + rest, n, projected=True, started_within_budget=len(lags))

    def _drain(self, key: str) -> None:
        """What stock beat sent but the raw worker did not run yet: not the next repetition's load."""
        url = brokers.BROKERS[self.pair.broker][1]()
        if url.startswith("redis"):
            import redis as redis_lib

            redis_lib.Redis.from_url(url).delete(self.pair.raw_queue)
        else:
            from kombu import Connection

            with suppress(Exception), Connection(url, connect_timeout=5) as conn:
                conn.channel().queue_purge(self.pair.raw_queue)
        time.sleep(1.0)  # the prefetched few finish
        self.pair.raw_redis.delete(key)

    def close(self) -> None:
        from bench.b7_memory import drop_database

        drop_database(self.db_url)


def _figures(lags: list[float], n: int, projected: bool, **extra) -> dict:
    return {"first": min(lags), "p50": percentile(lags, 50), "p99": percentile(lags, 99), "last": max(lags), "n": n,
            "projected": projected, **extra}


def run(report, quick: bool) -> None:
    sizes = [100, 1000] if quick else [100, 1000, 10_000]
    reps = {100: 1, 1000: 1} if quick else {100: 3, 1000: 2, 10_000: 1}
    if os.environ.get("BENCH_B8_SIZES"):  # e.g. "10000": those sizes alone, one repetition each
        sizes = [int(v) for v in os.environ["BENCH_B8_SIZES"].split(",")]
        reps = dict.fromkeys(sizes, 1)
    budget = 20.0 if quick else 90.0
    broker = "redis"
    brokers.empty_engine_tables()
    measured: dict[int, dict[str, list[dict]]] = {}
    try:
        concurrency = _measure(sizes, reps, budget, broker, measured)
    finally:
        # Once the platform is stopped, in one statement (deleting 10,000 beat rows through the ORM
        # runs beat_sync's receivers row by row: minutes): the benchmark's database is its own.
        from bench.b3_rows import empty_tables

        empty_tables()
    brokers.empty_engine_tables()
    _report(report, sizes, reps, budget, broker, measured, concurrency)


def _measure(sizes, reps, budget, broker, measured) -> int:
    with brokers.side_by_side(broker) as pair:
        pair.platform.start("dispatcher")
        brokers.wait_until(lambda: "beat: Starting" in pair.platform.log("dispatcher"), 90, "our dispatcher")
        stock = Stock(pair, pair.platform.uid)
        try:
            for n in sizes:
                lead = 15.0 + n / 1000 * 2  # rows written and loaded before the minute, on both sides
                sides = {"ours": lambda rep, n=n, lead=lead: _ours(pair, n, rep, lead),
                         "baseline": lambda rep, n=n, lead=lead: stock.measure(n, rep, lead, budget)}
                measured[n] = {"ours": [], "baseline": []}
                for rep in range(reps[n]):
                    for name in (("ours", "baseline") if rep % 2 == 0 else ("baseline", "ours")):
                        measured[n][name].append(sides[name](rep))
                        print(f"    N={n} {name}: {measured[n][name][-1]}", flush=True)
        finally:
            stock.close()
        return pair.platform.config.settings.worker.max_concurrent_tasks


def _report(report, sizes, reps, budget, broker, measured, concurrency) -> None:
    load = os.getloadavg()
    for n in sizes:
        per = measured[n]
        projected = any(f["projected"] for f in per["baseline"])
        note = (f"N={n} due in one cron minute, {reps[n]} repetition(s), broker {broker}, prefork concurrency "
                f"{concurrency} both sides; stock {'PROJECTED past its ' + str(budget) + ' s budget ' if projected else ''}"
                f"samples {per['baseline']}; ours {per['ours']}; load average {load}")
        for figure, label in (("p50", "lag p50"), ("p99", "lag p99"), ("last", "last started")):
            ours = median([f[figure] for f in per["ours"]])
            base = median([f[figure] for f in per["baseline"]])
            target, text = None, ""
            if figure == "p99" and n == 100:
                target, text = TARGET_P99_SECONDS / base if base else None, "ours <= 1 s"
            elif figure == "last" and n >= 1000:
                target, text = 1 / TARGET_AHEAD, "10x ahead of stock"
            report.add("B8", f"{label} {n}", ours, base, "s", higher_is_better=False, target=target,
                       target_text=text, samples={k: [f[figure] for f in v] for k, v in per.items()}, notes=note)
    report.note_settings("B8", sizes=sizes, repetitions=reps, stock_budget_seconds=budget, broker=broker)
