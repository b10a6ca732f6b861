"""One isolated Taskplane for an end-to-end test (tests/conftest.py's `platform` fixture, and
bench/): its own config file, queues, key prefix and ports; its roles started with `manage.py
serve` in their own process groups and reaped at the end."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from scheduler_project.config import BASE_DIR, load_config
from tests.services import free_port
from tests.support.processes import MANAGE, database_url_for_children, reap, wait_for

# A log line worth a digest: a timestamped warning or error (not a Python warning), or a
# consumer (re)connecting.
DIGESTED = re.compile(r"^\S+ [\d:,]+ +(WARNING|ERROR|CRITICAL) |Connected to |Cannot connect to |Phase2 enabled|\bready\.")


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
notification_queue = "notifications-{self.uid}"

[dispatcher]
schedule_interval_seconds = 1
sweep_interval_seconds = 1
worker_timeout_seconds = 10
worker_stall_seconds = 5

[worker]
heartbeat_interval_seconds = 1
http_allow = ["127.0.0.0/8"]  # the tests' HTTP receivers listen on loopback, denied by default

[notifications]
sweep_interval_seconds = 1
retry_backoff_seconds = 1
retry_backoff_max_seconds = 4
timeout_seconds = 5

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

    def digest(self, per_process: int = 40) -> str:
        """Each process's connection events, warnings and errors, a line each and in order: what a
        failed fault test's report shows first, because CI keeps only the report's beginning and
        its end, and the tails of logs() rarely reach back to where a fault began."""
        parts = []
        for name, _ in self.processes:
            lines = [line[:200] for line in self.log(name).splitlines()
                     if DIGESTED.search(line) and "py.warnings" not in line]
            parts.append(f"----- {name}: {len(lines)} events -----\n" + "\n".join(lines[-per_process:]))
        return "\n".join(parts)
