"""incr() and observe(): platform counters and histograms kept in Redis.

Layout: one hash per metric, `{key_prefix}:metrics:{name}`.
  counter    field = JSON list of label values             -> HINCRBY
  histogram  field = "b:<le>:<labels>" (non-cumulative)    -> HINCRBY
             field = "sum:<labels>"                        -> HINCRBYFLOAT
The api's collector (collector.py) reads these hashes at scrape time, so every process
(control threads, prefork children, gunicorn workers, other hosts) adds to one number.

Never raises into the caller: a Redis outage must not fail a run. What could not be
written is kept in this process (aggregated per field, so bounded by label cardinality)
and written with the next call once RETRY_SECONDS have passed; a process that dies in the
meantime loses its unwritten increments, which is logged when they are taken.

A hot path's figures (the engine's, once per status event: tasks_app.metrics) are recorded with
`coalesce=True`: written at once when this process wrote nothing for COALESCE_SECONDS, else kept
and written together by a timer at the end of that window (any other write takes them along).
Under load that is one round trip per window instead of one per event, and the figures reach a
scrape at most COALESCE_SECONDS late; a process killed meanwhile loses at most that window's
(the same as during an outage). A forked child starts with nothing pending: what its parent
kept is the parent's to write, never counted twice.
"""

from __future__ import annotations

import atexit
import bisect
import json
import logging
import os
import threading
import time

from scheduler_project.metrics.definitions import METRICS, Metric
from scheduler_project.redis_store import keys
from scheduler_project.redis_store.client import get_counting_redis

log = logging.getLogger("taskplane.metrics")

RETRY_SECONDS = 5.0
COALESCE_SECONDS = 0.5
MAX_PENDING_FIELDS = 10_000

_lock = threading.Lock()
_pending: dict[tuple[str, str], int | float] = {}  # (redis key, field) -> amount not yet written
_down_until = 0.0
_last_write = 0.0  # time.monotonic() of this process's last write (coalesce=True waits for the window)
_timer: threading.Timer | None = None  # writes what coalesce=True kept, at the end of the window


def metric_key(name: str) -> str:
    return keys.metric(name)


def label_field(metric: Metric, labels: dict | None) -> str:
    labels = labels or {}
    if set(labels) != set(metric.labels):
        raise ValueError(f"{metric.name} takes labels {list(metric.labels)}, got {sorted(labels)}")
    return json.dumps([str(labels[name]) for name in metric.labels], separators=(",", ":"))


def bucket_for(metric: Metric, value: float) -> str:
    """The smallest bucket bound >= value, or "+Inf" (the bucket counts are non-cumulative)."""
    index = bisect.bisect_left(metric.buckets, value)
    return repr(float(metric.buckets[index])) if index < len(metric.buckets) else "+Inf"


def incr(name: str, labels: dict | None = None, by: int = 1) -> None:
    record(increments=[(name, labels, by)])


def observe(name: str, labels: dict | None, value: float) -> None:
    record(observations=[(name, labels, value)])


def record(increments=(), observations=(), coalesce: bool = False) -> None:
    """Several incr() (name, labels, by) and observe() (name, labels, value) in one write: one
    round trip however many, where each alone would cost one. coalesce: may wait up to
    COALESCE_SECONDS to be written together with the next ones (see the module's docstring)."""
    writes: dict = {}
    for name, labels, by in increments:
        try:
            _merge(writes, _increment(name, labels, by))
        except Exception:  # noqa: BLE001  a metric must never fail the work it measures
            log.exception("metric %s not counted", name)
    for name, labels, value in observations:
        try:
            _merge(writes, _observation(name, labels, value))
        except Exception:  # noqa: BLE001
            log.exception("metric %s not observed", name)
    if writes:
        _write(writes, coalesce=coalesce)


def _increment(name: str, labels: dict | None, by: int) -> dict:
    metric = METRICS[name]
    if metric.kind != "counter":
        raise ValueError(f"{name} is a {metric.kind}, not a counter")
    return {(metric_key(name), label_field(metric, labels)): by}


def _observation(name: str, labels: dict | None, value: float) -> dict:
    metric = METRICS[name]
    if metric.kind != "histogram":
        raise ValueError(f"{name} is a {metric.kind}, not a histogram")
    key, field = metric_key(name), label_field(metric, labels)
    value = max(0.0, float(value))
    return {(key, f"b:{bucket_for(metric, value)}:{field}"): 1, (key, f"sum:{field}"): value}


def _merge(into: dict, writes: dict) -> None:
    for field, amount in writes.items():
        into[field] = into.get(field, 0) + amount


def _write(writes: dict, coalesce: bool = False) -> None:
    global _down_until, _last_write
    with _lock:
        if len(_pending) < MAX_PENDING_FIELDS or all(f in _pending for f in writes):
            _merge(_pending, writes)
        else:
            log.error("metrics: %d fields await Redis already; dropping %r", len(_pending), writes)
        now = time.monotonic()
        if now < _down_until:
            return
        if coalesce and now - _last_write < COALESCE_SECONDS:
            _write_later(_last_write + COALESCE_SECONDS - now)
            return
        batch = dict(_pending)
        _pending.clear()
        if batch:  # a call with nothing to write does not start a window
            _last_write = now
    if not batch:
        return
    try:
        client = get_counting_redis()
        # MULTI/EXEC on one server: all of the batch is applied or none of it, so a failed
        # batch can be put back without counting anything twice. (A cluster spreads the
        # hashes over slots: there the pipeline is plain.)
        pipe = client.pipeline(transaction=not _is_cluster(client))
        for (key, field), amount in batch.items():
            if isinstance(amount, float):
                pipe.hincrbyfloat(key, field, amount)
            else:
                pipe.hincrby(key, field, amount)
        pipe.execute()
    except Exception as exc:  # noqa: BLE001
        with _lock:
            _merge(_pending, batch)
            was_up = _down_until <= time.monotonic()
            _down_until = time.monotonic() + RETRY_SECONDS
        if was_up:
            log.warning("metrics: Redis unavailable (%s); keeping %d field(s) here, retrying in %.0fs",
                        exc, len(batch), RETRY_SECONDS)
        return
    if _down_until:
        with _lock:
            _down_until = 0.0
        log.info("metrics: Redis reachable again; wrote %d pending field(s)", len(batch))


def _write_later(delay: float) -> None:
    """Arm the window's timer (the caller holds _lock); one at a time: it takes all that is pending."""
    global _timer
    if _timer is not None:
        return
    _timer = threading.Timer(delay, _write_kept)
    _timer.daemon = True  # an exit does not wait for it: atexit's flush() writes what it held
    _timer.start()


def _write_kept() -> None:
    global _timer
    with _lock:
        _timer = None
    _write({})


def write_pending() -> None:
    """Write what this process keeps now, without waiting for its window; not while Redis is
    known to be down (the retry delay holds). A scrape calls it, so that it sees what its own
    process counted."""
    if pending_fields():
        _write({})


def _forget_inherited() -> None:
    """In a forked child: what the parent kept is the parent's to write (and its timer thread
    does not exist here)."""
    global _lock, _timer, _last_write, _down_until
    _lock = threading.Lock()  # the parent may have held it while forking
    _pending.clear()
    _timer, _last_write, _down_until = None, 0.0, 0.0


os.register_at_fork(after_in_child=_forget_inherited)


def _is_cluster(client) -> bool:
    from redis.cluster import RedisCluster

    return isinstance(client, RedisCluster)


def pending_fields() -> int:
    """How many fields this process still has to write."""
    with _lock:
        return len(_pending)


def flush() -> bool:
    """Try to write what is pending now, ignoring the retry delay; True when nothing is left.
    Also run at a clean exit, so that what a Redis outage held back is not lost with the process
    when Redis is back by then (at most one short-timeout attempt)."""
    global _down_until, _timer
    if not pending_fields():
        return True
    with _lock:
        _down_until = 0.0
        if _timer is not None:
            _timer.cancel()
            _timer = None
    _write({})
    return pending_fields() == 0


atexit.register(flush)
