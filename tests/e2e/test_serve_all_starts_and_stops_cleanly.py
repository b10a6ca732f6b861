"""`serve --mode all` (what `make run` starts): every role up, /health answering, and
Ctrl-C (SIGINT) stopping everything with no process left behind."""

import json
import os
import signal
import urllib.request

import psutil
import pytest

from tests.support.processes import wait_for

pytestmark = pytest.mark.e2e


def health(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
            return json.load(response)
    except OSError:
        return None


def family_of(process):
    root = psutil.Process(process.pid)
    return [root, *root.children(recursive=True)]


def command_lines(procs):
    lines = []
    for proc in procs:
        try:
            lines.append(" ".join(proc.cmdline()))
        except psutil.NoSuchProcess:
            pass
    return lines


@pytest.mark.parametrize("services", ["embedded", "configured"])
def test_serve_all_runs_every_role_and_ctrl_c_stops_them_all(platform, services):
    if services == "embedded":
        # Nothing configured: serve starts its own Redis for the broker and the state.
        for name in ("REDIS_URL", "MESSAGE_QUEUE_URL", "MESSAGE_QUEUE_TYPE"):
            platform.env.pop(name, None)
    process = platform.start("all", "--grace", "5")

    body = wait_for(lambda: health(platform.api_port), 60, "/health of serve --mode all")
    assert body["status"] == "ok" and body["instance_id"] == f"test-{platform.uid}"
    wait_for(lambda: len(command_lines(family_of(process))) >= 5, 30, "every role to start")
    lines = command_lines(family_of(process))
    assert any(" beat" in line for line in lines)
    assert any(f"control@test-{platform.uid}" in line for line in lines)
    assert any("worker@" in line for line in lines)
    assert any("gunicorn" in line for line in lines)
    embedded_redis = [line for line in lines if "redis-server" in line]
    assert bool(embedded_redis) == (services == "embedded")

    family = family_of(process)
    os.killpg(process.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
    assert process.wait(timeout=30) == 0
    _, alive = psutil.wait_procs(family, timeout=10)
    assert alive == [], command_lines(alive)
