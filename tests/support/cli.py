"""Command lines run as an operator runs them: a separate process with the platform's
environment (its config file, database, broker and key prefix), a deadline on each."""

from __future__ import annotations

import json
import subprocess
import sys

from scheduler_project.config import BASE_DIR
from tests.support.processes import MANAGE


def manage(platform, *args: str, timeout: float = 120, env: dict | None = None) -> subprocess.CompletedProcess:
    """`python manage.py ARGS` against the platform; its output as text, whatever its exit code."""
    return subprocess.run([sys.executable, MANAGE, *args], env={**platform.env, **(env or {})}, cwd=BASE_DIR,
                          capture_output=True, text=True, timeout=timeout)


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, f"{result.args[2:]} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def json_of(result: subprocess.CompletedProcess):
    return json.loads(ok(result))


def start(platform, *args: str, env: dict | None = None) -> subprocess.Popen:
    """A long-running command (runs logs --follow) in its own process group, reaped by the caller."""
    return subprocess.Popen([sys.executable, MANAGE, *args], env={**platform.env, **(env or {})}, cwd=BASE_DIR,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


REMOTE = "import sys; from scheduler_project.cli import scheduler_cli; scheduler_cli()"


def remote(url: str, api_key: str, *args: str, cwd, timeout: float = 120) -> subprocess.CompletedProcess:
    """`scheduler-cli --url URL --api-key KEY ARGS` as an operator without a server shell runs it:
    from an empty directory, with no database, broker or configuration in its environment."""
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(BASE_DIR), "PYTHONUNBUFFERED": "1"}
    return subprocess.run([sys.executable, "-c", REMOTE, "--url", url, "--api-key", api_key, *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)
