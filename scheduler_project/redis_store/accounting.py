"""Every Redis operation of the platform's state store goes through `redis_op`, which counts it
(scheduler_phase2_redis_op_total{op,result}) and times it (scheduler_redis_op_duration_seconds{op}).

Counting each operation with a Redis write of its own would double the traffic it measures, so
counts are kept in the process and added to the shared counters (scheduler_project.metrics)
at most every FLUSH_SECONDS, with up to SAMPLES_PER_FLUSH latency samples per operation.
"""

import threading
import time
from collections import Counter, defaultdict

from scheduler_project.metrics import counters  # never raises into the caller

FLUSH_SECONDS = 5.0
SAMPLES_PER_FLUSH = 50

_lock = threading.Lock()
_counts: Counter = Counter()  # (op, result) -> not yet flushed
_samples: dict = defaultdict(list)  # op -> durations not yet flushed
_last_flush = time.monotonic()


def redis_op(op: str, call, *args, expect_errors: tuple[str, ...] = (), **kwargs):
    """`expect_errors`: error codes (BUSYGROUP, NOGROUP) that are an answer the caller expects and
    handles, not a failure: the operation is counted `ok` and the error still raised to the caller,
    so `result="err"` counts real errors only (the RedisOperationErrors alert reads it)."""
    started = time.perf_counter()
    try:
        result = call(*args, **kwargs)
    except Exception as exc:
        expected = expect_errors and str(exc).startswith(expect_errors)
        _record(op, "ok" if expected else "err", time.perf_counter() - started)
        raise
    _record(op, "ok", time.perf_counter() - started)
    return result


def redis_pipeline(client, commands: list[tuple[str, tuple, dict]]) -> list:
    """Several operations in one round trip: (op, args, kwargs), op being the client's method
    name. Each is still counted as its own op, and timed as its share of the round trip. A plain
    pipeline (no MULTI), so in cluster mode all keys must share a slot to stay one round trip;
    the first error is raised after every result is counted."""
    if len(commands) == 1:  # a pipeline of one costs more than the call
        op, args, kwargs = commands[0]
        return [redis_op(op, getattr(client, op), *args, **kwargs)]
    pipe = client.pipeline(transaction=False)
    for op, args, kwargs in commands:
        getattr(pipe, op)(*args, **kwargs)
    started = time.perf_counter()
    try:
        results = pipe.execute(raise_on_error=False)
    except Exception:
        share = (time.perf_counter() - started) / max(1, len(commands))
        for op, _, _ in commands:
            _record(op, "err", share)
        raise
    share = (time.perf_counter() - started) / max(1, len(commands))
    for (op, _, _), result in zip(commands, results):
        _record(op, "err" if isinstance(result, Exception) else "ok", share)
    for result in results:
        if isinstance(result, Exception):
            raise result
    return results


def _record(op: str, result: str, seconds: float) -> None:
    global _last_flush
    with _lock:
        _counts[(op, result)] += 1
        if len(_samples[op]) < SAMPLES_PER_FLUSH:
            _samples[op].append(seconds)
        if time.monotonic() - _last_flush < FLUSH_SECONDS:
            return
        counts, samples = dict(_counts), dict(_samples)
        _counts.clear()
        _samples.clear()
        _last_flush = time.monotonic()
    flush(counts, samples)


def flush(counts: dict, samples: dict) -> None:
    # One write for the whole flush: hundreds of samples, one round trip.
    counters.record(
        increments=[("scheduler_phase2_redis_op_total", {"op": op, "result": result}, n)
                    for (op, result), n in counts.items()],
        observations=[("scheduler_redis_op_duration_seconds", {"op": op}, seconds)
                      for op, durations in samples.items() for seconds in durations],
    )
