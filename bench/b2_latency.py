"""B2, trigger-to-start latency under open-loop arrivals (a fixed rate, whatever the completions).

ours: time from calling the service-layer trigger (as the API's trigger does) to the moment the
worker started the execution: Run.started_at, which is the `at` the worker stamps on its
`started` event just before the executor runs (same machine, same clock).
baseline: time from apply_async to the start of the raw Celery task, which pushes
time.time() minus the send time it was given to a Redis list before running `true`.
Arrivals are handed at their times to a pool of sender threads (as api threads would take
requests), so a slow call delays no later arrival. Before each repetition's clock starts, every
sender thread makes one call of its side, and those calls are waited for: both sides' connections
are open and used, as in a process that has served requests. p50 and p99 per repetition; the
figures are medians over the repetitions.
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


def _open_loop(rate: float, count: int, send, warm=None, settle=None) -> tuple[list[float], float]:
    """Arrival i is handed at t0 + i/rate to a free one of SENDERS threads, which stamps the call
    time and calls send(i). Returns the call times and the arrival rate actually achieved.

    warm: called once by each sender thread before the clock starts, so that each thread's
    connections are open and have been used, as an api process's threads find theirs in its
    pool. settle: called by this thread once every sender has warmed, before the clock starts
    (it waits for what the warm-ups sent to be done). A nearest-rank p99 of 50 arrivals is the
    slowest of them, and cold connections were eight of a repetition's 50 at 10/s: opened on
    the clock they cost 6-12 ms each, and a fresh PostgreSQL backend's first trigger 2-4 ms more
    than its second (docs/performance.md, B2)."""
    from django.db import connection

    arrivals: queue.Queue = queue.Queue()
    sent = [0.0] * count
    ready = threading.Barrier(SENDERS + 1, timeout=60)

    def sender():
        try:
            if warm is not None:
                try:
                    warm()
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
    try:
        ready.wait()
        if settle is not None:
            settle()
    except BaseException:
        for _ in threads:
            arrivals.put(None)  # a failed warm-up or settle must not leave the senders waiting
        raise
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
    warm_ids: list[int] = []

    def send(i):
        ids[i] = definitions.trigger(pair.task).pk

    sent, rate_seen = _open_loop(rate, count, send, warm=lambda: warm_ids.append(definitions.trigger(pair.task).pk),
                                 settle=lambda: brokers.wait_runs_final(warm_ids, timeout=60))
    achieved.append(rate_seen)
    brokers.wait_runs_final(ids, timeout=60 + count)
    # A `finished` may overtake its `started` at the control role: the start time lands later.
    brokers.wait_until(lambda: not Run.objects.filter(pk__in=ids, started_at__isnull=True).exists(), 30,
                       "the start times of every run")
    started = dict(Run.objects.filter(pk__in=ids).values_list("pk", "started_at"))
    return [started[pk].timestamp() - at for pk, at in zip(ids, sent)]


def _baseline(pair, rate: float, count: int, key: str, achieved: list) -> list[float]:
    warm_key = f"{key}:warm"

    def send(i):
        pair.raw_app.send_task("bench.raw_true_latency", args=[key, time.time()], queue=pair.raw_queue)

    def warm():
        pair.raw_app.send_task("bench.raw_true", args=[warm_key], queue=pair.raw_queue)

    def settle():
        brokers.wait_until(lambda: int(pair.raw_redis.get(warm_key) or 0) >= SENDERS, 60, "the raw warm-up tasks")
        pair.raw_redis.delete(warm_key)

    _, rate_seen = _open_loop(rate, count, send, warm=warm, settle=settle)
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
