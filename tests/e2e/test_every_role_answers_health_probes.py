"""With HEALTH_PORT set, the control, worker and dispatcher roles (which serve no HTTP of their
own) answer GET /health, as Kubernetes probes expect of every role."""

import json

import pytest

from tests.services import free_port
from tests.support.processes import http_get, wait_for

pytestmark = pytest.mark.e2e


def health(port: int):
    status, body = http_get(port, "/health", timeout=3)
    return (status, json.loads(body)) if status else None


def ok(answer):
    """The body of a 200 answer, else None."""
    return answer[1] if answer and answer[0] == 200 else None


def test_control_worker_and_dispatcher_answer_health(platform):
    ports = {role: free_port() for role in ("control", "worker", "dispatcher")}
    for role, port in ports.items():
        platform.start(role, HEALTH_PORT=str(port))
    answers = {}
    for role, port in ports.items():
        # 503 until the consumer has connected to the broker (not ready yet), then 200.
        answers[role] = wait_for(lambda p=port: ok(health(p)), 60, f"the {role} role's /health to answer 200")
        assert answers[role]["status"] == "ok" and answers[role]["role"] == role
        assert answers[role]["instance_id"] == platform.config.instance_id
    assert answers["control"]["broker_connected"] is True and answers["worker"]["broker_connected"] is True

    def ticked():
        body = ok(health(ports["dispatcher"]))
        return body if body and body["last_tick_seconds_ago"] is not None else None

    beat = wait_for(ticked, 30, "beat's first tick")
    assert beat["last_tick_seconds_ago"] < 30
