"""What both stacks (compose and Kubernetes) do once their roles run as containers: the REST API
of the api container creates a shell task, a run of it succeeds on a worker container, a worker
is drained, and the whole stack stops cleanly."""

from __future__ import annotations

import json
import re

from tests.containers.engine import Container, ContainerTestError, http, log, wait_for

FINAL = {"succeeded", "failed", "timeout", "cancelled", "lost", "dead"}
MARKER = "taskplane-container-test-ok"


class Api:
    def __init__(self, port: int, key: str):
        self.base = f"http://127.0.0.1:{port}"
        self.headers = {"X-API-Key": key}

    def call(self, method: str, path: str, body: dict | None = None, expect: int = 200) -> dict:
        status, text = http(method, self.base + path, body, self.headers)
        if status != expect:
            raise ContainerTestError(f"{method} {path}: expected {expect}, got {status}: {text[:1000]}")
        return json.loads(text) if text else {}

    def wait_healthy(self, timeout: float = 180) -> None:
        wait_for(lambda: http("GET", self.base + "/health", timeout=5)[0] == 200, timeout, "the api's /health")

    def shell_task(self, name: str) -> int:
        task = self.call("POST", "/api/v1/tasks/", {"name": name, "type": "shell",
                                                    "spec": {"command": f"echo {MARKER} $(id -u)"}}, expect=201)
        return task["id"]

    def run_to_the_end(self, task_id: int, timeout: float = 180) -> dict:
        run = self.call("POST", f"/api/v1/tasks/{task_id}/trigger/", {}, expect=201)

        def final():
            current = self.call("GET", f"/api/v1/runs/{run['id']}/")
            return current if current["status"] in FINAL else None

        return wait_for(final, timeout, f"run {run['id']} to finish", interval=1)


def role_ports_answer(containers: dict[str, Container]) -> None:
    """Each role's own /health and /metrics on its health port (HEALTH_PORT)."""
    for name, container in containers.items():
        if container.health_port is None:
            continue
        url = f"http://127.0.0.1:{container.health_port}"
        wait_for(lambda url=url: http("GET", url + "/health", timeout=5)[0] == 200, 120,
                 lambda name=name, container=container: f"{name}'s /health on :{container.health_port}:\n"
                                                        f"{container.logs(40)}")
        status, text = http("GET", url + "/metrics")
        assert status == 200 and re.search(r'scheduler_role_healthy\{role="\w+"\} 1\.0', text), (name, text[-500:])
        assert "process_resident_memory_bytes" in text, name


def exercise(api: Api, containers: dict[str, Container], workers: list[str], label: str) -> None:
    """A shell run succeeds on a worker container; one worker is drained and stopped; the next
    runs go to the other; then every container stops with exit code 0."""
    task = api.shell_task(f"container-test-{label}")
    run = api.run_to_the_end(task)
    assert run["status"] == "succeeded", run
    assert run["worker"] in workers, f"run {run['id']} ran on {run['worker']!r}, not on a worker container"
    assert MARKER in run["stdout"] and run["stdout"].split()[-1] == "10001", run["stdout"]  # the image's user
    log(f"{label}: run {run['id']} succeeded on {run['worker']}")

    drained, other = workers[0], workers[1] if len(workers) > 1 else None
    if other is not None:
        api.call("POST", f"/api/v1/workers/{drained}/drain/", {})
        wait_for(lambda: api.call("GET", f"/api/v1/workers/{drained}/")["drain_state"] == "drained", 180,
                 f"{drained} to report drained")
        code = containers[drained].stop(grace=60)
        assert code == 0, f"{drained} exited {code} on SIGTERM:\n{containers[drained].logs(60)}"
        log(f"{label}: {drained} drained and stopped")
        for _ in range(2):
            after = api.run_to_the_end(task)
            assert after["status"] == "succeeded" and after["worker"] == other, after

    logs = {name: c.logs(400) for name, c in containers.items()}
    for name, container in containers.items():
        if container.running():
            code = container.stop(grace=60)
            assert code == 0, f"{name} exited {code} on SIGTERM:\n{container.logs(60)}"
    for name, text in logs.items():
        assert "Traceback" not in text, f"{name} logged a traceback:\n{text[-4000:]}"
    log(f"{label}: every container stopped with exit code 0")
