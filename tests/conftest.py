"""Shared fixtures. The `platform` fixture is the template for every end-to-end test:
real processes on the real broker, with ports, queue names and Redis key prefixes unique
to the test, a deadline on every wait, and every process group reaped at teardown.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest

from scheduler_project.config import BASE_DIR, load_config
from tests.services import free_port

MANAGE = str(BASE_DIR / "manage.py")


def wait_for(predicate: Callable[[], object], timeout: float, what: str | Callable[[], str], interval: float = 0.1):
    """Poll until predicate() is truthy; fail naming `what` (or what it returns, then) after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what() if callable(what) else what}")
        time.sleep(interval)


def http_get(port: int, path: str, headers: dict | None = None, timeout: float = 5.0) -> tuple[int, str]:
    """GET http://127.0.0.1:{port}{path}: (status, body), error statuses included; (0, "") when
    nothing answers (yet)."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError:
        return 0, ""


@contextmanager
def counting_round_trips():
    """Counts the commands (or pipelines) this process sends to any Redis server meanwhile."""
    import redis

    sent = {"round trips": 0}
    original = redis.connection.AbstractConnection.send_packed_command

    def counting(self, command, check_health=True):
        sent["round trips"] += 1
        return original(self, command, check_health)

    redis.connection.AbstractConnection.send_packed_command = counting
    try:
        yield sent
    finally:
        redis.connection.AbstractConnection.send_packed_command = original


def inbox_consumers(instance_id: str) -> list[dict]:
    """The consumers of an instance's inbox group; [] until its reader has created them."""
    import redis
    from django.conf import settings

    from scheduler_project.redis_store import keys
    from scheduler_project.redis_store.client import get_redis

    try:
        return get_redis().xinfo_consumers(keys.inbox(instance_id), settings.TP.scheduler.phase2.stream_group)
    except redis.ResponseError:  # no stream or no group yet
        return []


def processes_with(marker: str) -> list[psutil.Process]:
    """Live (non-zombie) processes whose command line contains `marker`."""
    found = []
    for proc in psutil.process_iter():
        try:
            if marker in " ".join(proc.cmdline()) and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc)
        except psutil.Error:
            continue
    return found


def sleepers(seconds: int) -> list[psutil.Process]:
    """The `sleep <seconds>` processes themselves (not the shell whose command mentions them)."""
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.cmdline() == ["sleep", str(seconds)]:
                found.append(proc)
        except psutil.Error:
            continue
    return found


def database_url_for_children() -> str:
    """The URL of the database this test uses (the test database), for child processes."""
    from django.db import connection

    conf = connection.settings_dict
    if conf["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{conf['NAME']}"
    auth = conf["USER"] + (f":{conf['PASSWORD']}" if conf["PASSWORD"] else "")
    return f"postgresql://{auth}@{conf['HOST'] or '127.0.0.1'}:{conf['PORT'] or 5432}/{conf['NAME']}"


def reap(process: subprocess.Popen, grace: float = 10.0) -> None:
    """TERM the process group, wait, then KILL it: nothing a test started outlives it."""
    for signum, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, signum)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        try:  # the leader is gone; its group may not be
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        return


@dataclass
class Platform:
    """One isolated Taskplane: its own config file, queues, key prefix and ports."""

    tmp: Path
    uid: str = field(default_factory=lambda: secrets.token_hex(4))
    processes: list[tuple[str, subprocess.Popen]] = field(default_factory=list)

    def __post_init__(self):
        self.instances: dict[str, tuple[Path, int]] = {}
        self.config_file, self.api_port = self.add_instance(f"test-{self.uid}")
        self.env = {
            **os.environ,
            "TASKPLANE_CONFIG": str(self.config_file),
            "DATABASE_URL": database_url_for_children(),
            "PYTHONUNBUFFERED": "1",
        }
        self.env.pop("INSTANCE_ID", None)
        self.config = load_config(env=self.env)

    def add_instance(self, instance_id: str) -> tuple[Path, int]:
        """Another control-plane instance of this platform: same database, broker, queues and
        key prefix; its own INSTANCE_ID and api port. Start its roles with start(..., instance=id)."""
        port = free_port()
        path = self.tmp / f"taskplane-{instance_id}.toml"
        path.write_text(
            f"""
[message_queue]
task_queue = "tasks-{self.uid}"
status_queue = "status-{self.uid}"
heartbeat_queue = "heartbeats-{self.uid}"
control_queue = "control-{self.uid}"

[dispatcher]
schedule_interval_seconds = 1
sweep_interval_seconds = 1
worker_timeout_seconds = 10
worker_stall_seconds = 5

[worker]
heartbeat_interval_seconds = 1

[api]
bind_address = "127.0.0.1:{port}"
workers = 1

[scheduler.phase2]
instance_id = "{instance_id}"
owner_ttl_seconds = 5
dlq_min_idle_ms = 500
dlq_scan_interval_ms = 1000
dlq_max_deliveries = 3

[scheduler.phase2.redis]
key_prefix = "tp-test-{self.uid}"

[embedded]
data_dir = "{self.tmp / 'data'}"
redis_port = {free_port()}
"""
        )
        self.instances[instance_id] = (path, port)
        return path, port

    def reconfigure(self, replace: dict[str, str] | None = None, append: str = "") -> None:
        """Edit the config file before starting processes: replace lines of its tables, append
        tables of its own. self.config follows."""
        text = self.config_file.read_text()
        for old, new in (replace or {}).items():
            assert old in text, old
            text = text.replace(old, new)
        self.config_file.write_text(text + "\n" + append)
        self.config = load_config(env=self.env)

    @property
    def mq(self):
        return self.config.settings.message_queue

    def start(self, mode: str, *extra: str, name: str | None = None, instance: str | None = None,
              **env: str) -> subprocess.Popen:
        name = name or (f"{mode}-{instance}" if instance else mode)
        if instance:
            config_file = self.instances[instance][0] if instance in self.instances else self.add_instance(instance)[0]
            env = {"TASKPLANE_CONFIG": str(config_file), **env}
        log = (self.tmp / f"{name}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, MANAGE, "serve", "--mode", mode, *extra],
            env={**self.env, **env},
            cwd=BASE_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append((name, process))
        return process

    def log(self, name: str) -> str:
        path = self.tmp / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def wait_run(self, run_id: int, statuses, timeout: float = 60):
        """Wait until the run reaches one of `statuses`; returns it."""
        from tasks_app.models import Run

        statuses = {statuses} if isinstance(statuses, str) else set(statuses)
        return wait_for(
            lambda: Run.objects.filter(pk=run_id, status__in=statuses).first(), timeout,
            lambda: f"run {run_id} to become {'/'.join(sorted(statuses))} "
            f"(it is {Run.objects.filter(pk=run_id).values_list('status', flat=True).first()})",
        )

    def stop_process(self, name: str) -> None:
        for started, process in self.processes:
            if started == name:
                reap(process)

    def stop(self) -> None:
        for _, process in reversed(self.processes):
            reap(process)

    def logs(self) -> str:
        return "\n".join(f"----- {name}.log -----\n{self.log(name)[-4000:]}" for name, _ in self.processes)


@pytest.fixture
def platform(tmp_path, transactional_db, settings, request):
    """An isolated platform whose processes the test starts with platform.start(mode).

    The test process itself takes the platform's configuration too, so what it triggers is
    routed to the platform's queues and keys.
    """
    instance = Platform(tmp_path)
    settings.CONFIG = instance.config
    settings.TP = instance.config.settings
    yield instance
    instance.stop()
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(instance.logs())


@pytest.fixture
def redis_prefix(settings):
    """A key prefix of the test's own, so tests sharing a Redis server never see each other's keys."""
    unique = f"tp-unit-{secrets.token_hex(4)}"
    p2 = settings.TP.scheduler.phase2
    settings.TP = settings.TP.model_copy(update={"scheduler": settings.TP.scheduler.model_copy(update={
        "phase2": p2.model_copy(update={"redis": p2.redis.model_copy(update={"key_prefix": unique})})})})
    yield unique
    from scheduler_project.redis_store.client import get_redis

    client = get_redis()
    for name in list(client.scan_iter(match=f"{unique}:*", count=1000)):
        client.delete(name)


def phase2_settings(settings, **values):
    """Override [scheduler.phase2] keys for one test."""
    p2 = settings.TP.scheduler.phase2.model_copy(update=values)
    settings.TP = settings.TP.model_copy(update={"scheduler": settings.TP.scheduler.model_copy(update={"phase2": p2})})


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
