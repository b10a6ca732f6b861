"""B1, end-to-end throughput: runs of the shell task `true` through the whole platform versus
raw Celery tasks running the same `true` on the same broker, pool and concurrency.

ours: trigger N runs from this process through tasks_app's service layer, as the API's trigger
does (run row + outbox entry, published after commit), and time until all N are `succeeded` in
the database (worker `started`/`finished` events applied by the control role).
baseline: N apply_async of bench.raw_celery_app's task (`subprocess.run(["true"])`, then a Redis
INCR) and time until the counter reaches N.
peer (the realistic baseline: how a Django shop gets a durable record of each task): N
send_task of bench.peer_celery_app's task (django-celery-results' database backend on the same
PostgreSQL, task_track_started, acks_late, the same `true`), timed until N SUCCESS rows.
All sides are timed from the first send and send one after another from this one thread, as a
single client would.
"""

from __future__ import annotations

import itertools
import time

from bench import brokers
from bench.harness import interleaved, median

TARGET = 0.5
PEER_TARGET = 1.0


def _ours(pair, n: int) -> float:
    start = time.perf_counter()
    ids = brokers.trigger_runs(pair.task, n)
    brokers.wait_runs_final(ids, timeout=60 + n)
    return n / (time.perf_counter() - start)


def _baseline(pair, n: int, rep: int) -> float:
    key = f"{pair.prefix}:done:{rep}"
    start = time.perf_counter()
    for _ in range(n):
        pair.raw_app.send_task("bench.raw_true", args=[key], queue=pair.raw_queue)
    brokers.wait_until(lambda: int(pair.raw_redis.get(key) or 0) >= n, 60 + n, f"{n} raw tasks")
    return n / (time.perf_counter() - start)


def _peer(pair, n: int) -> float:
    brokers.peer_forget(pair.peer)  # untimed: each repetition counts its own records
    start = time.perf_counter()
    for _ in range(n):
        pair.raw_app.send_task("bench.peer_true", queue=pair.peer.queue)
    brokers.wait_until(lambda: brokers.peer_done(pair.peer) >= n, 60 + n, f"{n} peer task records")
    return n / (time.perf_counter() - start)


def _measured(pair, n: int, reps: int) -> tuple[dict, dict]:
    """Interleaved repetitions, and the CPU seconds each process group spent on each side."""
    counter = itertools.count()
    cpu = {"ours": {}, "baseline": {}, "peer": {}}

    def accounted(side, fn):
        def run():
            groups = pair.groups()
            before = brokers.cpu_seconds(groups)
            value = fn()
            for name, spent in brokers.cpu_split(before, brokers.cpu_seconds(groups)).items():
                cpu[side][name] = round(cpu[side].get(name, 0.0) + spent, 2)
            return value
        return run

    samples = interleaved(reps, {
        "ours": accounted("ours", lambda: _ours(pair, n)),
        "baseline": accounted("baseline", lambda: _baseline(pair, n, next(counter))),
        "peer": accounted("peer", lambda: _peer(pair, n)),
    })
    return samples, cpu


def run(report, quick: bool) -> None:
    n, reps = (60, 3) if quick else (500, 5)
    brokers.empty_engine_tables()
    for broker in brokers.BROKERS:
        with brokers.side_by_side(broker, peer=True) as pair:
            concurrency = pair.platform.config.settings.worker.max_concurrent_tasks
            samples, cpu = _measured(pair, n, reps)
        report.add(
            "B1", f"throughput {broker}", median(samples["ours"]), median(samples["baseline"]), "runs/s",
            target=TARGET, target_text=">= 0.5x", samples=samples,
            notes=f"{n} runs of `true` per repetition, {reps} repetitions, prefork concurrency {concurrency}; "
                  f"CPU seconds per process group over all repetitions: ours {cpu['ours']}, "
                  f"baseline {cpu['baseline']}",
        )
        report.add(
            "B1", f"throughput {broker} vs peer", median(samples["ours"]), median(samples["peer"]), "runs/s",
            target=PEER_TARGET, target_text=">= 1.0x", samples={"ours": samples["ours"], "baseline": samples["peer"]},
            notes=f"peer: Celery + django-celery-results database backend on the same PostgreSQL, "
                  f"task_track_started, acks_late, timed until N SUCCESS rows; raw Celery's median "
                  f"{median(samples['baseline']):.1f} runs/s; CPU seconds per process group: peer {cpu['peer']}",
        )
        report.note_settings("B1", runs_per_repetition=n, repetitions=reps, concurrency=concurrency,
                             **{f"cpu_seconds_{broker}": cpu})
