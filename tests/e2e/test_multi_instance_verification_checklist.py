"""The verification checklist at the end of the multi-instance guide (shared/seeds/002), item by
item, against real processes of two instances, with the guide's own redis-cli commands."""

import json
import subprocess
import threading
import urllib.request
from urllib.parse import urlsplit

import pytest

from accounts_app.services import create_api_key
from tasks_app.models import Task
from tasks_app.services import definitions
from tests.support.processes import http_get, wait_for

pytestmark = pytest.mark.e2e


def redis_cli(platform, *command: str) -> str:
    url = urlsplit(platform.config.redis_url)
    argv = ["redis-cli", "-h", url.hostname, "-p", str(url.port or 6379), "-n", (url.path.strip("/") or "0"), *command]
    return subprocess.run(argv, capture_output=True, text=True, timeout=30, check=True).stdout


def test_the_guides_checklist_passes_item_by_item(platform):
    prefix = platform.config.settings.scheduler.phase2.redis.key_prefix
    port_a, port_b = platform.add_instance("scheduler-1")[1], platform.add_instance("scheduler-2")[1]
    for mode in ("control", "dispatcher", "api"):
        platform.start(mode, instance="scheduler-1")
    platform.start("api", instance="scheduler-2")  # the session's instance
    platform.start("control", instance="scheduler-2")
    platform.start("worker", "--worker-id", "node-1")
    _, key = create_api_key("checklist", ["Admin"])

    # Phase 2 enabled, instance ids unique, every instance reaches Redis: both presence keys.
    presence = f"{prefix}:schedulers:presence:*"
    wait_for(lambda: sorted(redis_cli(platform, "KEYS", presence).split()) == sorted(
        [f"{prefix}:schedulers:presence:scheduler-1", f"{prefix}:schedulers:presence:scheduler-2"]), 60,
        "both presence keys")
    record = json.loads(wait_for(lambda: redis_cli(platform, "GET", f"{prefix}:schedulers:presence:scheduler-1").strip(),
                                 30, "scheduler-1's presence record"))
    assert record["instance_id"] == "scheduler-1" and "control" in record["roles"]

    # Health endpoints answer on every instance.
    for port, instance in ((port_a, "scheduler-1"), (port_b, "scheduler-2")):
        status, body = wait_for(lambda p=port: (answer := http_get(p, "/health"))[0] == 200 and answer, 60, "health")
        assert json.loads(body)["instance_id"] == instance

    # A node on one instance, a session on the other: the task completes and the session sees it.
    # The session opens (the stream's first comment line names it) before the run is triggered:
    # live output is not replayed, so a viewer who connects late rightly misses earlier lines.
    task = Task.objects.create(name="checklist", type="shell", spec={"command": "echo one; sleep 1; echo two"})
    events, session_open = [], threading.Event()

    def seen_succeeded():
        return any(e["kind"] == "status" and e["status"] == "succeeded" for e in events)

    def output_lines():
        return [line for e in events if e["kind"] == "output" for _, line in e["lines"]]

    def listen():
        request = urllib.request.Request(f"http://127.0.0.1:{port_b}/api/v1/events?task={task.pk}",
                                         headers={"X-API-Key": key, "Accept": "text/event-stream"})
        with urllib.request.urlopen(request, timeout=60) as response:
            for raw in response:
                line = raw.decode().strip()
                if line.startswith(": session"):
                    session_open.set()
                elif line.startswith("data: "):
                    events.append(json.loads(line[6:]))
                    # The last output batch and `finished` are handled by different control
                    # threads: either may reach the stream first. Stop once both have.
                    if seen_succeeded() and "two" in output_lines():
                        return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    assert session_open.wait(30), "the event stream did not open its session"
    run = definitions.trigger(task)
    platform.wait_run(run.pk, "succeeded")
    listener.join(timeout=30)
    assert not listener.is_alive(), f"the stream never showed both the output and the success: {events}"
    assert {e["run_id"] for e in events} == {run.pk}
    statuses = [e["status"] for e in events if e["kind"] == "status"]
    assert {"running", "succeeded"} <= set(statuses)
    assert output_lines() == ["one", "two"]

    # The streams of the guide's runbook show what it says.
    inbox = f"{prefix}:streams:{{instance:scheduler-2}}:inbox"
    info = redis_cli(platform, "XINFO", "STREAM", inbox)
    assert "length" in info and "groups" in info
    assert "scheduler" in redis_cli(platform, "XINFO", "GROUPS", inbox)
    # The stream tails the inbox with XREAD; the reader's XACK follows its handler: wait for it.
    wait_for(lambda: redis_cli(platform, "XPENDING", inbox, "scheduler").split()[0] == "0", 30, "no pending entry")
    assert redis_cli(platform, "XLEN", f"{prefix}:streams:{{instance:scheduler-2}}:dlq").strip() == "0"
    assert "node-1" in redis_cli(platform, "SMEMBERS", f"{prefix}:v1:nodes:all").split()
    assert json.loads(redis_cli(platform, "GET", f"{prefix}:v1:nodes:snapshot:node-1"))["worker_id"] == "node-1"

    # Prometheus metrics are served; logs show the key events.
    status, metrics = http_get(port_a, "/metrics")
    assert status == 200 and "scheduler_nodes_total" in metrics
    log = platform.log("control-scheduler-1")
    assert "Phase2 enabled: instance scheduler-1" in log and "Redis connected" in log
