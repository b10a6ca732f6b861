"""The dependency checks of GET /api/system/health/detailed: each dependency with its status
and latency, every check at once, each bounded by CHECK_TIMEOUT_SECONDS."""

from __future__ import annotations

import concurrent.futures
import time

from celery import current_app
from django.conf import settings
from django.db import connection

from instances_app import presence
from monitoring_app import readings
from scheduler_project.redis_store.client import get_redis
from workers_app.models import Worker

CHECK_TIMEOUT_SECONDS = 2.0


def _check_database():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok", connection.vendor
    finally:
        connection.close()  # this thread's connection: back to the pool, or closed


def _check_broker():
    with current_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=CHECK_TIMEOUT_SECONDS)
        return "ok", settings.TP.message_queue.type


def _check_redis():
    get_redis().ping()
    return "ok", settings.TP.scheduler.phase2.redis.mode


def _check_workers():
    try:
        by_status = readings.workers_by_status()
    finally:
        connection.close()
    online = sum(by_status[s] for s in Worker.LIVE_STATUSES)
    return ("ok" if online else "warning"), f"{online} of {sum(by_status.values())} online"


def _check_instances():
    found = presence.live_instances()
    return ("ok" if found else "warning"), f"{len(found)} live"


CHECKS = {  # name: (function, required)
    "database": (_check_database, True),
    "broker": (_check_broker, True),
    "redis": (_check_redis, True),
    "workers": (_check_workers, False),
    "instances": (_check_instances, False),
}


def _timed(fn):
    started = time.perf_counter()
    status, detail = fn()
    return status, detail, (time.perf_counter() - started) * 1000


def run_checks() -> dict:
    """Every check at once in its own thread, each bounded by CHECK_TIMEOUT_SECONDS: a hung
    dependency costs the caller that long, not forever."""
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=len(CHECKS), thread_name_prefix="health")
    try:
        futures = {name: pool.submit(_timed, fn) for name, (fn, _) in CHECKS.items()}
        deadline = time.monotonic() + CHECK_TIMEOUT_SECONDS
        results = {}
        for name, future in futures.items():
            required = CHECKS[name][1]
            try:
                status, detail, latency = future.result(timeout=max(0.0, deadline - time.monotonic()))
                results[name] = {"status": status, "required": required, "latency_ms": round(latency, 2),
                                 "detail": str(detail)}
            except concurrent.futures.TimeoutError:
                results[name] = {"status": "failed", "required": required, "latency_ms": None,
                                 "detail": f"no answer within {CHECK_TIMEOUT_SECONDS:g} s"}
            except Exception as exc:  # noqa: BLE001  the check's own failure is the answer
                results[name] = {"status": "failed", "required": required, "latency_ms": None,
                                 "detail": f"{type(exc).__name__}: {exc}"[:300]}
        return results
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
