"""The baseline of B1 and B2: plain Celery doing what a Taskplane shell run does at its core
(`subprocess.run(["true"])`), with Taskplane's worker settings (JSON, acks_late,
reject_on_worker_lost, no result backend) and no Django.

    celery -A bench.raw_celery_app worker ...   # the worker; BENCH_RAW_BROKER_URL names its broker

Completion is recorded in Redis (BENCH_RAW_REDIS_URL), the cheapest thing the benchmark process
can watch: an INCR per run for throughput, an RPUSH of start latency for latency.
"""

from __future__ import annotations

import json
import os
import subprocess
import time

import redis
from celery import Celery

_redis = None


def make_app(broker_url: str, transport_options: dict | None = None, *, set_as_current: bool = True) -> Celery:
    # The benchmark process holds this app beside Django's: it must not become current_app,
    # or Taskplane's own publishing would go through it.
    app = Celery("taskplane_bench_raw", broker=broker_url, set_as_current=set_as_current)
    app.conf.update(
        task_serializer="json", result_serializer="json", accept_content=["json"],
        result_backend=None, task_ignore_result=True,
        task_acks_late=True, task_reject_on_worker_lost=True,
        broker_transport_options=transport_options or {},
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False, worker_send_task_events=False,
    )
    app.task(name="bench.raw_true", ignore_result=True)(raw_true)
    app.task(name="bench.raw_true_latency", ignore_result=True)(raw_true_latency)
    return app


def _client():
    global _redis
    if _redis is None:  # per pool child, after the fork
        _redis = redis.Redis.from_url(os.environ["BENCH_RAW_REDIS_URL"])
    return _redis


def raw_true(done_key: str) -> None:
    subprocess.run(["true"], check=False)
    _client().incr(done_key)


def raw_true_latency(latency_key: str, sent_at: float) -> None:
    _client().rpush(latency_key, time.time() - sent_at)
    subprocess.run(["true"], check=False)


if os.environ.get("BENCH_RAW_BROKER_URL"):
    app = make_app(os.environ["BENCH_RAW_BROKER_URL"], json.loads(os.environ.get("BENCH_RAW_TRANSPORT") or "{}"))
