"""Processes the tests start and watch: waiting with a deadline, HTTP probes, finding and
reaping processes. Used by the tests and by bench/ (which must not import a conftest)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable

import psutil
import pytest

from scheduler_project.config import BASE_DIR

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
