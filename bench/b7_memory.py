"""B7: memory of each role against its bare equivalent, all started as real processes.

- ours: `manage.py serve --mode api|control|worker|dispatcher` with a config of the run's own
  (tests/conftest.py's Platform: queues, key prefix, ports), on the Redis broker.
- baseline, same pool and concurrency as the role it stands beside:
  api        -> gunicorn gthread (same workers and threads) serving bench/bare_settings.py, a
                minimal Django project whose one view makes one query;
  control    -> the raw Celery app (bench/raw_celery_app.py) inside that minimal Django project
                (bench/bare_django_celery.py: control has a database too), threads pool, 8;
  worker     -> the raw Celery app alone (no Django: a node has no database), prefork,
                max_concurrent_tasks children;
  dispatcher -> `celery beat` with django-celery-beat's stock DatabaseScheduler in the same
                minimal Django project, on a scratch database of its own.

Measured: PSS (proportional set size: shared pages split between the processes sharing them,
so a forked pool's children are not counted twice; USS and RSS are in the samples), of each
process, summed per role; once started and settled, and again after a small workload (runs of
`true` on both sides, API / bare requests, a one-second schedule ticking throughout).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from contextlib import suppress
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psutil
import redis

from bench import brokers
from bench.harness import ROOT, ensure_database
from tests.services import free_port

MB = 1024 * 1024
LIMIT_MB = 30
ROLES = ("api", "control", "worker", "dispatcher")
READY = {"api": None, "control": " ready.", "worker": " ready.", "dispatcher": "beat: Starting"}


def footprint(pid: int) -> list[dict]:
    """Each process of the group rooted at pid: pss, uss, rss in MB."""
    root = psutil.Process(pid)
    found = []
    for proc in [root, *root.children(recursive=True)]:
        with suppress(psutil.Error):
            info = proc.memory_full_info()
            found.append({"pid": proc.pid, "name": proc.name(), "child": proc.pid != pid,
                          **{k: round(getattr(info, k, 0) / MB, 1) for k in ("pss", "uss", "rss")}})
    return found


def answers(port: int, path: str, headers: dict | None = None) -> bool:
    """Whether the server answers at all (any status: readiness, not health)."""
    from tests.support.processes import http_get

    return http_get(port, path, headers)[0] != 0


class Bare:
    """The bare processes, with logs in tmp; reaped by process group like the platform's."""

    def __init__(self, tmp: Path, broker_url: str, transport: dict, db_url: str, uid: str):
        self.tmp, self.uid, self.port = tmp, uid, free_port()
        self.queues = {"control": f"bench-b7-{uid}-threads", "worker": f"bench-b7-{uid}-prefork"}
        self.done_key = f"tp-bench-b7-{uid}:done"
        self.broker_url = broker_url  # BENCH_RAW_BROKER_URL makes bench.raw_celery_app build its app: raw worker only
        self.env = {**os.environ, "BENCH_BARE_BROKER_URL": broker_url,
                    "BENCH_RAW_TRANSPORT": json.dumps(transport), "BENCH_RAW_REDIS_URL": os.environ["REDIS_URL"],
                    "BENCH_BARE_DATABASE_URL": db_url, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
        for name in ("DJANGO_SETTINGS_MODULE", "TASKPLANE_CONFIG", "TASKPLANE_ROLE", "BENCH_RAW_BROKER_URL"):
            self.env.pop(name, None)
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, role: str, argv: list[str], **env) -> None:
        log = (self.tmp / f"bare-{role}.log").open("wb")
        self.processes[role] = subprocess.Popen(argv, env={**self.env, **env}, cwd=ROOT, stdout=log,
                                                stderr=subprocess.STDOUT, start_new_session=True)

    def log(self, role: str) -> str:
        path = self.tmp / f"bare-{role}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start_all(self, platform) -> None:
        api, w = platform.config.settings.api, platform.config.settings.worker
        celery = [sys.executable, "-m", "celery"]
        self.start("api", [sys.executable, "-m", "gunicorn", "bench.bare_wsgi:application", "--bind",
                           f"127.0.0.1:{self.port}", "--workers", str(api.workers), "--worker-class", "gthread",
                           "--threads", str(api.threads), "--access-logfile", "-", "--no-control-socket"])
        # The stock scheduler's one schedule feeds the prefork worker, as ours feeds our control.
        prepared = subprocess.run([sys.executable, "-m", "bench.bare_django_celery", self.queues["worker"],
                                   self.done_key], env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=120)
        if prepared.returncode:
            raise RuntimeError(f"bare beat preparation failed: {prepared.stderr[-2000:]}")
        worker = ["worker", "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--prefetch-multiplier",
                  str(platform.mq.prefetch_count)]
        self.start("control", [*celery, "-A", "bench.bare_django_celery", *worker, "--hostname",
                               f"rawthreads@{self.uid}", "--queues", self.queues["control"], "--pool", "threads",
                               "--concurrency", "8"])
        self.start("worker", [*celery, "-A", "bench.raw_celery_app", *worker, "--hostname", f"rawprefork@{self.uid}",
                              "--queues", self.queues["worker"], "--pool", "prefork",
                              "--concurrency", str(w.max_concurrent_tasks)],
                   BENCH_RAW_BROKER_URL=self.broker_url)
        self.start("dispatcher", [*celery, "-A", "bench.bare_django_celery", "beat", "--loglevel", "INFO",
                                  "--pidfile=", "-S", "django_celery_beat.schedulers:DatabaseScheduler"])

    def stop(self) -> None:
        from tests.support.processes import reap

        for process in self.processes.values():
            reap(process)


def wait_ready(platform, bare: Bare, timeout: float) -> None:
    checks = {
        "ours api": lambda: answers(platform.api_port, "/health"),
        "bare api": lambda: answers(bare.port, "/"),
    }
    for role, marker in READY.items():
        if marker:
            checks[f"ours {role}"] = lambda r=role, m=marker: m in platform.log(r)
            checks[f"bare {role}"] = lambda r=role, m=marker: m in bare.log(r)
    for what, check in checks.items():
        brokers.wait_until(check, timeout, f"{what} to be ready", interval=0.2)


def measure(platform, bare: Bare) -> dict:
    ours = {name: footprint(p.pid) for name, p in platform.processes}
    return {"ours": ours, "baseline": {role: footprint(p.pid) for role, p in bare.processes.items()}}


def workload(platform, bare: Bare, task, key: str, n_runs: int, n_requests: int) -> None:
    """Runs of `true` through control and worker on our side, the same number of raw tasks on
    each bare worker, and requests to both web servers."""
    from bench.raw_celery_app import make_app

    raw_app = make_app(bare.broker_url, json.loads(bare.env["BENCH_RAW_TRANSPORT"]),
                       set_as_current=False)
    load_key = f"{bare.done_key}:load"
    ids = brokers.trigger_runs(task, n_runs)
    for queue in bare.queues.values():
        for _ in range(n_runs):
            raw_app.send_task("bench.raw_true", args=[load_key], queue=queue)
    for _ in range(n_requests):
        answers(platform.api_port, "/api/v1/runs/", {"X-API-Key": key})
        answers(bare.port, "/")
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    brokers.wait_runs_final(ids, timeout=90)
    brokers.wait_until(lambda: int(client.get(load_key) or 0) >= n_runs * len(bare.queues), 90,
                       "the raw workers to run their tasks")


def split(procs: list[dict]) -> str:
    children = procs[1:]
    return f"main {procs[0]['pss']} MB" + (
        f", {len(children)} children {', '.join(str(p['pss']) for p in children)} MB" if children else "")


def median_child(procs: list[dict]) -> float:
    return sorted(p["pss"] for p in procs[1:])[(len(procs) - 1) // 2]


def role_rows(report, phase: str, sample: dict) -> None:
    """One row per role on its total PSS, met when ours <= bare + LIMIT_MB (the target on the
    ratio is chosen so); for a pool, the main process and the median child on their own."""
    for role in ROLES:
        ours, bare = sample["ours"][role], sample["baseline"][role]
        total = {side: round(sum(p["pss"] for p in procs), 1) for side, procs in (("ours", ours), ("bare", bare))}
        report.add("B7", f"{role} PSS {phase}", total["ours"], total["bare"], "MB", higher_is_better=False,
                   target=(total["bare"] + LIMIT_MB) / total["bare"] if total["bare"] else None,
                   target_text=f"<= +{LIMIT_MB} MB", samples={"ours": ours, "baseline": bare},
                   notes=f"{total['ours'] - total['bare']:+.1f} MB; ours: {split(ours)}; bare: {split(bare)}")
        if len(ours) > 1 and len(bare) > 1:
            for label, pick in (("main", lambda procs: procs[0]["pss"]), ("per child", median_child)):
                o, b = pick(ours), pick(bare)
                report.add("B7", f"{role} {label} PSS {phase}", o, b, "MB", higher_is_better=False,
                           notes=f"{o - b:+.1f} MB" + (" (median child)" if label == "per child" else ""))


def scratch_database_url(uid: str) -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{parts.path.lstrip('/')}_b7bare_{uid}"))


def drop_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    with suppress(Exception), psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')


def clean_up(platform, bare: Bare, url: str) -> None:
    from kombu import Connection

    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    state_prefix = platform.config.settings.scheduler.phase2.redis.key_prefix
    for pattern in (f"{bare.done_key}*", f"{state_prefix}:*"):
        for name in list(client.scan_iter(match=pattern, count=1000)):
            client.delete(name)
    mq = platform.mq
    with suppress(Exception), Connection(url, connect_timeout=5) as conn:
        channel = conn.channel()
        for queue in [*bare.queues.values(), mq.control_queue, mq.status_queue, mq.heartbeat_queue,
                      f"{mq.task_queue}.shell", f"{mq.task_queue}.http"]:
            with suppress(Exception):
                channel.queue_delete(queue)


def run(report, quick: bool) -> None:
    from django_celery_beat.models import PeriodicTask

    from accounts_app.models import APIKey
    from accounts_app.services import create_api_key
    from tasks_app.models import Task

    settle, n_runs, n_requests = (2.0, 10, 50) if quick else (5.0, 50, 300)
    url = brokers.BROKERS["redis"][1]()
    brokers.empty_engine_tables()
    platform = brokers.bench_platform("taskplane-bench-b7-", "redis_stream", url)
    tmp = platform.tmp
    bare_db = scratch_database_url(platform.uid)
    bare = Bare(tmp, url, platform.mq.transport_options(), bare_db, platform.uid)
    key, clear = create_api_key(f"bench-b7-{platform.uid}", ["Admin"])
    tp = platform.config.settings
    report.note_settings("B7", memory="PSS (psutil memory_full_info), summed over each role's processes",
                         settle_seconds=settle, runs=n_runs, requests=n_requests, broker="redis",
                         api_workers=tp.api.workers, api_threads=tp.api.threads,
                         worker_concurrency=tp.worker.max_concurrent_tasks)
    try:
        ensure_database(bare_db)
        with brokers.this_process_on(platform.config):
            # A one-second schedule on each side keeps both dispatchers firing throughout.
            Task.objects.create(name=f"bench-b7-tick-{platform.uid}", type="shell", spec=brokers.TRUE_SPEC,
                                schedule={"interval_seconds": 1})
            task = Task.objects.create(name=f"bench-b7-true-{platform.uid}", type="shell", spec=brokers.TRUE_SPEC)
            for role in ROLES:
                platform.start(role)
            bare.start_all(platform)
            wait_ready(platform, bare, timeout=120)
            time.sleep(settle)
            role_rows(report, "settled", measure(platform, bare))
            workload(platform, bare, task, clear, n_runs, n_requests)
            time.sleep(settle)
            role_rows(report, "after load", measure(platform, bare))
    except Exception:
        print(platform.logs()[-6000:], file=sys.stderr)
        for role in bare.processes:
            print(f"----- bare-{role}.log -----\n{bare.log(role)[-2000:]}", file=sys.stderr)
        raise
    finally:
        platform.stop()
        bare.stop()
        clean_up(platform, bare, url)
        drop_database(bare_db)
        APIKey.objects.filter(pk=key.pk).delete()
        PeriodicTask.objects.filter(name__contains=f"bench-b7-tick-{platform.uid}").delete()
        brokers.empty_engine_tables()
        shutil.rmtree(tmp, ignore_errors=True)
