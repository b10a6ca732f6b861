"""B2, trigger-to-start latency under open-loop arrivals (a fixed rate, whatever the completions).

ours: time from calling the service-layer trigger (as the API's trigger does) to the moment the
worker started the execution: Run.started_at, which is the `at` the worker stamps on its
`started` event just before the executor runs (same machine, same clock).
baseline: time from apply_async to the start of the raw Celery task, which pushes
time.time() minus the send time it was given to a Redis list before running `true`.
Arrivals are handed at their times to a pool of sender threads (as api threads would take
requests), so a slow call delays no later arrival. p50 and p99 per repetition; the figures are
medians over the repetitions.
"""

from __future__ import annotations

import itertools
import queue
import threading
import time

from bench import brokers
from bench.harness import interleaved, median, percentile

TARGET = 2.0


SENDERS = 8  # like one api process's threads: an arrival never waits for the previous call to return


def _open_loop(rate: float, count: int, send, database: bool = False) -> tuple[list[float], float]:
    """Arrival i is handed at t0 + i/rate to a free one of SENDERS threads, which stamps the call
    time and calls send(i). Returns the call times and the arrival rate actually achieved.

    database: send uses the database, and each thread opens its connection before the first
    arrival, as an api process's threads find theirs open in its pool. Opened on the clock, the
    eight connections of a repetition were eight of its 50 arrivals at 10/s, 6-12 ms each: its
    p99 (docs/performance.md, B2)."""
    from django.db import connection

    arrivals: queue.Queue = queue.Queue()
    sent = [0.0] * count
    ready = threading.Barrier(SENDERS + 1, timeout=60)

    def sender():
        try:
            if database:
                try:
                    connection.ensure_connection()
                except Exception:
                    ready.abort()  # the main thread fails now, not after the barrier's timeout
                    raise
            ready.wait()
            while (i := arrivals.get()) is not None:
                sent[i] = time.time()
                send(i)
        finally:
            connection.close()  # this thread's own database connection

    threads = [threading.Thread(target=sender, daemon=True) for _ in range(SENDERS)]
    for thread in threads:
        thread.start()
    ready.wait()
    t0 = time.time()
    for i in range(count):
        delay = t0 + i / rate - time.time()
        if delay > 0:
            time.sleep(delay)
        arrivals.put(i)
    for _ in threads:
        arrivals.put(None)
    for thread in threads:
        thread.join(timeout=120)
    if any(thread.is_alive() for thread in threads) or 0.0 in sent:
        raise RuntimeError("open-loop senders did not finish")
    elapsed = max(sent) - min(sent)
    return sent, (count - 1) / elapsed if elapsed > 0 and count > 1 else float("nan")


def _ours(pair, rate: float, count: int, achieved: list) -> list[float]:
    from tasks_app.models import Run
    from tasks_app.services import definitions

    ids = [0] * count

    def send(i):
        ids[i] = definitions.trigger(pair.task).pk

    sent, rate_seen = _open_loop(rate, count, send, database=True)
    achieved.append(rate_seen)
    brokers.wait_runs_final(ids, timeout=60 + count)
    # A `finished` may overtake its `started` at the control role: the start time lands later.
    brokers.wait_until(lambda: not Run.objects.filter(pk__in=ids, started_at__isnull=True).exists(), 30,
                       "the start times of every run")
    started = dict(Run.objects.filter(pk__in=ids).values_list("pk", "started_at"))
    return [started[pk].timestamp() - at for pk, at in zip(ids, sent)]


def _baseline(pair, rate: float, count: int, key: str, achieved: list) -> list[float]:
    def send(i):
        pair.raw_app.send_task("bench.raw_true_latency", args=[key, time.time()], queue=pair.raw_queue)

    _, rate_seen = _open_loop(rate, count, send)
    achieved.append(rate_seen)
    brokers.wait_until(lambda: pair.raw_redis.llen(key) >= count, 60 + count, f"{count} raw task starts")
    latencies = [float(v) for v in pair.raw_redis.lrange(key, 0, -1)]
    pair.raw_redis.delete(key)
    return latencies


def _measure(pair, rate: float, count: int, reps: int) -> tuple[dict, dict]:
    """Interleaved repetitions; per side, the p50 and p99 of each repetition and achieved rates."""
    counter = itertools.count()
    per_rep = {"ours": [], "baseline": []}
    achieved = {"ours": [], "baseline": []}

    def side(name, fn):
        def run():
            latencies = fn()
            per_rep[name].append((percentile(latencies, 50), percentile(latencies, 99)))
            return percentile(latencies, 99)
        return run

    interleaved(reps, {
        "ours": side("ours", lambda: _ours(pair, rate, count, achieved["ours"])),
        "baseline": side("baseline", lambda: _baseline(
            pair, rate, count, f"{pair.prefix}:latency:{next(counter)}", achieved["baseline"])),
    })
    return per_rep, achieved


def run(report, quick: bool) -> None:
    plan = {10: 15, 100: 40} if quick else {10: 50, 100: 300}
    reps = 3 if quick else 5
    brokers.empty_engine_tables()
    for broker in brokers.BROKERS:
        with brokers.side_by_side(broker) as pair:
            measured = {rate: _measure(pair, rate, count, reps) for rate, count in plan.items()}
        for rate, (per_rep, achieved) in measured.items():
            rates = {name: round(median(values), 1) for name, values in achieved.items()}
            for q, label in ((0, "p50"), (1, "p99")):
                ours = [p[q] * 1000 for p in per_rep["ours"]]
                base = [p[q] * 1000 for p in per_rep["baseline"]]
                report.add(
                    "B2", f"latency {label} {broker} {rate}/s", median(ours), median(base), "ms",
                    higher_is_better=False, target=TARGET if label == "p99" else None,
                    target_text="<= 2x" if label == "p99" else "",
                    samples={"ours": ours, "baseline": base},
                    notes=f"{plan[rate]} arrivals at {rate}/s per repetition, {reps} repetitions, median of "
                          f"per-repetition {label}; achieved send rate {rates}",
                )
    report.note_settings("B2", arrivals=plan, repetitions=reps)
