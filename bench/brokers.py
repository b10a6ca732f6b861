"""What B1 and B2 share: per broker, a real Taskplane (control and worker roles through
`manage.py serve`, configured like tests/conftest.py's Platform: queues and key prefix of its
own) beside a raw Celery worker (bench/raw_celery_app.py) with the same broker, prefork pool,
concurrency, prefetch and acks; and this process publishing to that broker, as the api would.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import psutil
import redis

from bench.harness import ROOT
from tests.support.celery import point_celery

BROKERS = {
    "redis": ("redis_stream", lambda: os.environ.get("BENCH_REDIS_BROKER_URL", "redis://127.0.0.1:6379/6")),
    "rabbitmq": ("rabbitmq", lambda: os.environ.get("BENCH_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")),
}
TRUE_SPEC = {"command": "true"}


def wait_until(predicate: Callable[[], object], timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)
    return value


@contextmanager
def this_process_on(config):
    """Make this process publish as a control-plane process of `config` would: its queues, its
    key prefix, its broker. Settings read the broker once, at setup, so the app is re-pointed."""
    from django.conf import settings

    from scheduler_project.celery import app

    saved = settings.CONFIG, settings.TP, app.conf.broker_url, app.conf.broker_transport_options
    settings.CONFIG, settings.TP = config, config.settings
    point_celery(app, config.broker_url, config.settings.message_queue.transport_options())
    try:
        yield
    finally:
        settings.CONFIG, settings.TP = saved[0], saved[1]
        point_celery(app, saved[2], saved[3])


@dataclass
class Peer:
    """Celery with django-celery-results' database backend (bench/peer_celery_app.py): its worker,
    its queue and its database (a scratch one on the same PostgreSQL)."""
    worker: subprocess.Popen
    queue: str
    db_url: str

    def results_table(self) -> str:
        return "django_celery_results_taskresult"

    def connect(self):
        import psycopg

        return psycopg.connect(self.db_url, autocommit=True)


@dataclass
class SideBySide:
    broker: str
    platform: object  # tests.support.platform.Platform
    raw_app: object
    raw_queue: str
    raw_redis: redis.Redis
    prefix: str
    task: object  # tasks_app.models.Task, the shell task `true`
    raw_worker: subprocess.Popen
    peer: Peer | None = None  # B1's realistic peer, when asked for

    def groups(self) -> dict[str, list[psutil.Process]]:
        """Processes by side, for CPU accounting: each started group, plus the shared services."""
        found = {}
        started = [*self.platform.processes, ("raw-worker", self.raw_worker)]
        if self.peer is not None:
            started.append(("peer-worker", self.peer.worker))
        for name, popen in started:
            with suppress(psutil.Error):
                root = psutil.Process(popen.pid)
                found[name] = [root]  # the main process (a Celery node's consumer)
                found[f"{name}-children"] = root.children(recursive=True)  # its pool, and what the pool ran
        for name, marker in (("postgres", "postgres"), ("redis-server", "redis-server"), ("rabbitmq", "beam.smp")):
            found[name] = [p for p in psutil.process_iter(["name"]) if marker in (p.info["name"] or "")]
        found["bench"] = [psutil.Process()]
        return found


def cpu_seconds(groups: dict[str, list[psutil.Process]]) -> dict[str, float]:
    """User + system CPU of each group, counting reaped children (a shell run's `true`)."""
    totals = {}
    for name, procs in groups.items():
        total = 0.0
        for proc in procs:
            with suppress(psutil.Error):
                t = proc.cpu_times()
                total += t.user + t.system + t.children_user + t.children_system
        totals[name] = total
    return totals


def cpu_split(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {name: round(after[name] - before.get(name, 0.0), 2) for name in after}


def empty_engine_tables() -> None:
    from django.db import connection

    from tasks_app.models import OutboxEntry, Run, RunAttempt, Task

    models = (OutboxEntry, RunAttempt, Run, Task)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE " + ", ".join(m._meta.db_table for m in models) + " CASCADE")
    else:
        for model in models:
            model.objects.all().delete()


def _start_raw_worker(platform, mq_type: str, url: str, queue: str, tmp: Path) -> subprocess.Popen:
    w, mq = platform.config.settings.worker, platform.config.settings.message_queue
    log = (tmp / "raw-worker.log").open("wb")
    env = {**os.environ, "BENCH_RAW_BROKER_URL": url, "BENCH_RAW_TRANSPORT": json.dumps(mq.transport_options()),
           "BENCH_RAW_REDIS_URL": os.environ["REDIS_URL"], "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    argv = [sys.executable, "-m", "celery", "-A", "bench.raw_celery_app", "worker",
            "--hostname", f"raw@{platform.uid}", "--queues", queue, "--pool", "prefork",
            "--concurrency", str(w.max_concurrent_tasks), "--prefetch-multiplier", str(mq.prefetch_count),
            "--loglevel", "INFO", "--without-gossip", "--without-mingle"]
    return subprocess.Popen(argv, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _start_peer(platform, url: str, tmp: Path) -> Peer:
    from bench.b7_memory import scratch_database_url
    from bench.harness import ensure_database

    w, mq = platform.config.settings.worker, platform.config.settings.message_queue
    db_url = scratch_database_url(platform.uid).replace("_b7bare_", "_peer_")
    ensure_database(db_url)
    env = {**os.environ, "BENCH_PEER_BROKER_URL": url, "BENCH_RAW_TRANSPORT": json.dumps(mq.transport_options()),
           "BENCH_BARE_DATABASE_URL": db_url, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1",
           "DJANGO_SETTINGS_MODULE": "bench.peer_settings"}
    for name in ("TASKPLANE_CONFIG", "TASKPLANE_ROLE", "BENCH_RAW_BROKER_URL"):
        env.pop(name, None)
    prepared = subprocess.run([sys.executable, "-m", "bench.peer_celery_app"], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=180)
    if prepared.returncode:
        raise RuntimeError(f"peer database: {prepared.stderr[-2000:]}")
    queue = f"bench-peer-{platform.uid}"
    argv = [sys.executable, "-m", "celery", "-A", "bench.peer_celery_app", "worker",
            "--hostname", f"peer@{platform.uid}", "--queues", queue, "--pool", "prefork",
            "--concurrency", str(w.max_concurrent_tasks), "--prefetch-multiplier", str(mq.prefetch_count),
            "--loglevel", "INFO", "--without-gossip", "--without-mingle"]
    log = (tmp / "peer-worker.log").open("wb")
    worker = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    return Peer(worker, queue, db_url)


def peer_done(peer: Peer) -> int:
    with peer.connect() as conn:
        return conn.execute(f"SELECT count(*) FROM {peer.results_table()} WHERE status = 'SUCCESS'").fetchone()[0]


def peer_forget(peer: Peer) -> None:
    """Empty the results table between repetitions (untimed), as a shop's cleanup would."""
    with peer.connect() as conn:
        conn.execute(f"TRUNCATE {peer.results_table()}")


def bench_platform(prefix: str, mq_type: str, url: str):
    """The tests' Platform (tests/conftest.py) on this broker, with the heartbeat, lost-worker
    and stall timings as shipped, not the tests' fast ones: a 30 s heartbeat with the tests' 10 s
    timeout would make a worker look lost mid-run (its runs retried), and with their 5 s stall
    threshold the control sweep would flag it stalled and re-consume it mid-measurement."""
    from tests.support.platform import Platform

    platform = Platform(Path(tempfile.mkdtemp(prefix=prefix)))
    platform.env.update(MESSAGE_QUEUE_TYPE=mq_type, MESSAGE_QUEUE_URL=url)
    platform.reconfigure({"heartbeat_interval_seconds = 1": "heartbeat_interval_seconds = 30",
                          "worker_timeout_seconds = 10": "worker_timeout_seconds = 90",
                          "worker_stall_seconds = 5": "worker_stall_seconds = 120"})
    return platform


@contextmanager
def side_by_side(broker: str, peer: bool = False):
    """Both sets of worker processes on one broker, warmed up; everything reaped on the way out.
    peer: also B1's realistic peer (Celery + django-celery-results), on the same broker."""
    from bench.raw_celery_app import make_app
    from tasks_app.models import Task
    from tests.support.processes import reap

    mq_type, url = BROKERS[broker][0], BROKERS[broker][1]()
    platform = bench_platform(f"taskplane-bench-{broker}-", mq_type, url)
    tmp = platform.tmp
    prefix = f"tp-bench-raw-{secrets.token_hex(4)}"
    raw_queue = f"bench-raw-{platform.uid}"
    raw_redis = redis.Redis.from_url(os.environ["REDIS_URL"])
    raw_app = make_app(url, platform.config.settings.message_queue.transport_options(), set_as_current=False)
    raw_worker = peer_side = None
    try:
        with this_process_on(platform.config):
            platform.start("control")
            platform.start("worker")
            raw_worker = _start_raw_worker(platform, mq_type, url, raw_queue, tmp)
            if peer:
                peer_side = _start_peer(platform, url, tmp)
            task = Task.objects.create(name=f"bench-true-{platform.uid}", type="shell", spec=TRUE_SPEC)
            pair = SideBySide(broker, platform, raw_app, raw_queue, raw_redis, prefix, task, raw_worker, peer_side)
            _warm_up(pair)
            yield pair
    except Exception:
        print(platform.logs()[-6000:], file=sys.stderr)
        for name in ("raw-worker", "peer-worker"):
            if (tmp / f"{name}.log").exists():
                print((tmp / f"{name}.log").read_text(errors="replace")[-3000:], file=sys.stderr)
        raise
    finally:
        platform.stop()
        if raw_worker is not None:
            reap(raw_worker)
        if peer_side is not None:
            from bench.b7_memory import drop_database

            reap(peer_side.worker)
            drop_database(peer_side.db_url)
        _clean_up(platform, [raw_queue] + ([peer_side.queue] if peer_side else []), url, raw_redis, prefix)
        shutil.rmtree(tmp, ignore_errors=True)


def trigger_runs(task, n: int) -> list[int]:
    from tasks_app.services import definitions

    return [definitions.trigger(task).pk for _ in range(n)]


def wait_runs_final(run_ids: list[int], timeout: float) -> None:
    """Until every run is final; a run that did not succeed is a broken set-up, not a figure."""
    from tasks_app import states
    from tasks_app.models import Run

    first, last = min(run_ids), max(run_ids)

    def final():
        rows = Run.objects.filter(pk__gte=first, pk__lte=last, status__in=states.FINAL)
        return rows.count() >= len(run_ids)

    wait_until(final, timeout, f"{len(run_ids)} runs to finish")
    bad = Run.objects.filter(pk__gte=first, pk__lte=last).exclude(status=states.SUCCEEDED).first()
    if bad is not None:
        raise RuntimeError(f"run {bad.pk} ended {bad.status}: {bad.error[:300]}")


def _warm_up(pair: SideBySide) -> None:
    ids = trigger_runs(pair.task, 3)
    wait_runs_final(ids, timeout=90)
    key = f"{pair.prefix}:warm"
    for _ in range(3):
        pair.raw_app.send_task("bench.raw_true", args=[key], queue=pair.raw_queue)
    wait_until(lambda: int(pair.raw_redis.get(key) or 0) >= 3, 90, "the raw Celery worker to answer")
    if pair.peer is not None:
        for _ in range(3):
            pair.raw_app.send_task("bench.peer_true", queue=pair.peer.queue)
        wait_until(lambda: peer_done(pair.peer) >= 3, 90, "the peer Celery worker to answer")
        peer_forget(pair.peer)


def _clean_up(platform, raw_queues: list[str], url: str, raw_redis: redis.Redis, prefix: str) -> None:
    """Our keys and queues only: the Redis server and the broker are shared."""
    state_prefix = platform.config.settings.scheduler.phase2.redis.key_prefix
    for pattern in (f"{prefix}:*", f"{state_prefix}:*"):
        for name in list(raw_redis.scan_iter(match=pattern, count=1000)):
            raw_redis.delete(name)
    if url.startswith("redis"):
        # Queues and kombu's binding tables: every name carries the platform's uid.
        broker = redis.Redis.from_url(url)
        for name in list(broker.scan_iter(match=f"*{platform.uid}*", count=1000)):
            broker.delete(name)
        return
    mq = platform.config.settings.message_queue
    queues = [*raw_queues, mq.control_queue, mq.status_queue, mq.heartbeat_queue,
              f"{mq.task_queue}.shell", f"{mq.task_queue}.http"]
    from kombu import Connection

    with suppress(Exception), Connection(url, connect_timeout=5) as conn:
        channel = conn.channel()
        for queue in queues:
            with suppress(Exception):
                channel.queue_delete(queue)
