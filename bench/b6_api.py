"""B6: the REST API against bare Django views doing the same queries.

Both sides are served in this process by django.test.Client (no HTTP server: a server would
add the same cost to both and hide the difference), on the same database connection, under a
bench-only urlconf (bench/bare_views.py) that mounts the bare views next to the real urls.

- ours: GET /api/v1/runs/?task=<id> (its first page of 50, keyset cursor), POST /api/v1/tasks/
  (a shell task), POST /api/v1/tasks/{id}/trigger/, with an Admin API key in X-API-Key, through
  the platform's middleware, DRF, authentication, roles, serializers and the audit log.
  Throttling is off (the base configuration's default, forced here): a 429 is not a cost.
- baseline: the bare views, behind the middleware of a stock `startproject`: the same run
  query serialized with json; Task.objects.create (the model's own validation and beat-row
  sync run on both sides: they are the model's, not the API's); definitions.trigger, the
  service the API calls (run + outbox in one transaction, published after commit).

Runs come from bench.cleanup_1m.populate (COPY); the list is measured at each table size.
Trigger publishes to a queue of the run's own, deleted at the end.
"""

from __future__ import annotations

import itertools
import json
import os
import secrets
import time
from contextlib import ExitStack, contextmanager
from dataclasses import replace

from bench import harness

STOCK_MIDDLEWARE = [  # what `django-admin startproject` writes
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
TARGETS = {"list": 0.5, "create": 0.6, "trigger": 0.6}


@contextmanager
def bench_broker():
    """Trigger publishes after commit: point the in-process Celery app at a reachable broker
    (MESSAGE_QUEUE_URL if set, else BENCH_REDIS_BROKER_URL), not the embedded default."""
    from django.conf import settings

    from scheduler_project.celery import app
    from tests.support.celery import point_celery

    url = os.environ.get("MESSAGE_QUEUE_URL") or os.environ.get("BENCH_REDIS_BROKER_URL", "redis://127.0.0.1:6379/6")
    saved = app.conf.broker_url, app.conf.broker_transport_options
    point_celery(app, url, settings.TP.message_queue.transport_options())
    try:
        yield url
    finally:
        point_celery(app, *saved)


def delete_queue(name: str) -> None:
    from celery import current_app

    with current_app.connection_for_write() as conn:
        try:
            conn.default_channel.queue_delete(name)
        except Exception:  # noqa: BLE001  never declared (nothing published): nothing to delete
            pass


@contextmanager
def api_session():
    """(ours, bare) clients, with the bench urlconf, an Admin key and no throttling."""
    from django.test import Client, override_settings

    from accounts_app.models import APIKey
    from accounts_app.services import create_api_key
    from scheduler_project import live_config as live

    key, clear = create_api_key(f"bench-b6-{secrets.token_hex(3)}", ["Admin"])
    with ExitStack() as stack:
        stack.callback(APIKey.objects.filter(pk=key.pk).delete)
        stack.enter_context(override_settings(ROOT_URLCONF="bench.bare_views"))
        live._current = replace(live.current(), rate_limit=replace(live.current().rate_limit, enabled=False))
        stack.callback(live.reset)
        ours, bare = Client(HTTP_HOST="127.0.0.1", HTTP_X_API_KEY=clear), Client(HTTP_HOST="127.0.0.1")
        with override_settings(MIDDLEWARE=STOCK_MIDDLEWARE):
            bare.handler.load_middleware()  # the bare client keeps this chain from now on
        yield ours, bare, key


def timed_batch(send, n: int, latencies: list[float], expect: int) -> float:
    """n requests in a row; returns requests/s, appends each latency (s)."""
    started = time.perf_counter()
    for _ in range(n):
        t0 = time.perf_counter()
        response = send()
        latencies.append(time.perf_counter() - t0)
        if response.status_code != expect:
            raise RuntimeError(f"{response.status_code} (expected {expect}): {response.content[:300]!r}")
    return n / (time.perf_counter() - started)


def queries(send) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        send()
    return len(captured)


def compare(report, name: str, sends: dict, expect: int, reps: int, n: int, size: int, extra: str = "") -> dict:
    lat = {side: [] for side in sends}
    for send in sends.values():  # warm: urlconf, middleware chains, prepared plans
        timed_batch(send, 20, [], expect)
    counts = {side: queries(send) for side, send in sends.items()}
    samples = harness.interleaved(reps, {side: (lambda s=side: timed_batch(sends[s], n, lat[s], expect))
                                         for side in sends})
    rps = {side: harness.median(v) for side, v in samples.items()}
    p99 = {side: harness.percentile(v, 99) * 1000 for side, v in lat.items()}
    p50 = {side: harness.percentile(v, 50) * 1000 for side, v in lat.items()}
    notes = (f"{size} runs in the table; queries per request: ours {counts['ours']}, bare {counts['baseline']}; "
             f"p50 ours {p50['ours']:.2f} ms, bare {p50['baseline']:.2f} ms{extra}")
    target = TARGETS[name]
    report.add("B6", f"{name} throughput @{size}", rps["ours"], rps["baseline"], "req/s", target=target,
               target_text=f">= {target}x", samples={"rps": samples}, notes=notes)
    report.add("B6", f"{name} p99 @{size}", p99["ours"], p99["baseline"], "ms", higher_is_better=False,
               samples={"latency_ms": {s: [round(x * 1000, 3) for x in v] for s, v in lat.items()}},
               notes=f"{len(lat['ours'])} requests a side")
    return p99


def endpoints(ours, bare, uid: str, queue: str) -> dict:
    """name -> ({"ours": send, "baseline": send}, expected status), on the tables as they are."""
    from tasks_app.models import Task

    listed = Task.objects.get(name="bench-3")  # one of populate()'s tasks: 1/20th of the runs
    triggered = Task.objects.create(name=f"b6-{uid}-trigger", type="shell", spec={"command": "true"}, queue=queue)
    names = itertools.count()
    trigger_body = json.dumps({"params": {"k": "v"}})

    def create(client, path):
        body = {"name": f"b6-{uid}-{next(names)}", "type": "shell", "spec": {"command": "true"}, "queue": queue}
        return client.post(path, json.dumps(body), content_type="application/json")

    def trigger(client, path):
        return client.post(path.format(triggered.pk), trigger_body, content_type="application/json")

    return {
        "list": ({"ours": lambda: ours.get(f"/api/v1/runs/?task={listed.pk}"),
                  "baseline": lambda: bare.get(f"/bare/runs/?task={listed.pk}")}, 200),
        "create": ({"ours": lambda: create(ours, "/api/v1/tasks/"),
                    "baseline": lambda: create(bare, "/bare/tasks/")}, 201),
        "trigger": ({"ours": lambda: trigger(ours, "/api/v1/tasks/{}/trigger/"),
                     "baseline": lambda: trigger(bare, "/bare/tasks/{}/trigger/")}, 201),
    }


@contextmanager
def bench_tables(uid: str, queue: str):
    """What B6 writes is removed on the way out: runs, its tasks, its audit entries, its queue."""
    from django.db import connection

    from audit_app.models import AuditEntry
    from tasks_app.models import Task

    with bench_broker(), api_session() as (ours, bare, key):
        try:
            yield ours, bare
        finally:
            delete_queue(queue)
            AuditEntry.objects.filter(principal=f"key:{key.name}").delete()
            with connection.cursor() as cursor:
                cursor.execute("TRUNCATE tasks_app_runattempt, tasks_app_outboxentry, tasks_app_run RESTART IDENTITY "
                               "CASCADE")
            Task.objects.filter(name__startswith="bench-").delete()
            Task.objects.filter(name__startswith=f"b6-{uid}-").delete()


def run(report, quick: bool) -> None:
    from bench.cleanup_1m import populate
    from tasks_app.models import Task

    sizes = [10_000, 100_000] if quick else [10_000, 100_000, 1_000_000]
    reps, n = (8, 15) if quick else (15, 50)  # short batches, many of them: finer interleaving
    uid = secrets.token_hex(3)
    queue = f"bench-b6-{uid}"
    report.note_settings("B6", sizes=sizes, repetitions=reps, requests_per_repetition=n, client="django.test.Client",
                         throttling="disabled", bare_middleware="startproject default", queue=queue)
    with bench_tables(uid, queue) as (ours, bare):
        list_p99 = {}
        for size in sizes:
            info = populate(size)
            sends, expect = endpoints(ours, bare, uid, queue)["list"]
            list_p99[size] = compare(report, "list", sends, expect, reps, n, size,
                                     extra=f"; populated in {info['insert_seconds']} s")
            Task.objects.filter(name__startswith=f"b6-{uid}-").delete()
        smallest, largest = sizes[0], sizes[-1]
        report.add("B6", f"list p99 growth {smallest}->{largest}", list_p99[largest]["ours"],
                   list_p99[smallest]["ours"], "ms", higher_is_better=False, target=1.5, target_text="flat (<= 1.5x)",
                   notes=f"bare: {list_p99[smallest]['baseline']:.2f} -> {list_p99[largest]['baseline']:.2f} ms")
        found = endpoints(ours, bare, uid, queue)
        for name, extra in (("create", "; a shell task, no schedule"),
                            ("trigger", "; run + outbox + publish after commit")):
            sends, expect = found[name]
            compare(report, name, sends, expect, reps, n, largest, extra=extra)


def profile(name: str, runs: int, requests: int) -> None:
    """Where a request's time goes, each side: cProfile's own time summed by package."""
    import cProfile
    import pstats
    import re

    from bench.cleanup_1m import populate

    uid = secrets.token_hex(3)
    queue = f"bench-b6-{uid}"
    with bench_tables(uid, queue) as (ours, bare):
        populate(runs)
        sends, expect = endpoints(ours, bare, uid, queue)[name]
        for side, send in sends.items():
            timed_batch(send, 10, [], expect)
            print(f"{name} {side}: {queries(send)} queries")
            profiler = cProfile.Profile()
            profiler.runcall(timed_batch, send, requests, [], expect)
            by_package: dict[str, float] = {}
            for (path, _, _function), (_, _, own, _, _) in pstats.Stats(profiler).stats.items():
                found = re.search(r"site-packages/([^/]+)", path) or re.search(r"/work/main/([^/]+)/", path)
                package = found.group(1) if found else ("C builtins" if path == "~" else os.path.basename(path))
                by_package[package] = by_package.get(package, 0.0) + own
            total = sum(by_package.values())
            print(f"  {total / requests * 1000:.2f} ms/request under the profiler")
            for package, own in sorted(by_package.items(), key=lambda item: -item[1])[:10]:
                print(f"  {own / requests * 1000:7.2f} ms  {package}")


if __name__ == "__main__":
    import argparse
    import sys

    sys.path.insert(0, str(harness.ROOT))
    parser = argparse.ArgumentParser(description="profile one B6 endpoint, ours and bare")
    parser.add_argument("endpoint", choices=["list", "create", "trigger"])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    harness.setup_django()
    profile(args.endpoint, args.runs, args.requests)
