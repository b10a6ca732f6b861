"""The seed's three processes (api, dispatcher, worker) need our control role too: beat's fires
are messages to the control queue, and only a control role makes runs of them. A dispatcher
started without one says so loudly: a WARNING when it starts and in its log once the grace of
one presence TTL is over, and `control_seen: false` with the warning in its /health; once a
control role announces itself, /health says so."""

import json

import pytest

from tests.services import free_port
from tests.support.processes import http_get, wait_for

pytestmark = pytest.mark.e2e


def health(port: int) -> dict:
    status, body = http_get(port, "/health")
    return json.loads(body) if status else {}


def test_the_dispatcher_warns_until_a_control_role_runs(platform):
    port = free_port()
    platform.start("dispatcher", HEALTH_PORT=str(port))
    wait_for(lambda: health(port).get("control_seen") is False, 60, "the dispatcher's /health to report no control")
    body = health(port)
    assert body["status"] == "ok", "a missing control role is not the dispatcher's failure: no restart would help"
    assert "scheduler --mode control" in body["warning"]
    wait_for(lambda: platform.log("dispatcher").count("no control role is running") >= 2, 60,
             lambda: f"the start-up warning and the log's WARNING: {platform.log('dispatcher')[-3000:]}")
    log = platform.log("dispatcher")
    assert "WARNING: no control role is running" in log  # at start, from serve
    assert any("WARNING" in line and "no control role is running" in line and "taskplane.instances" in line
               for line in log.splitlines()), "beat's own log line"

    platform.start("control")
    wait_for(lambda: health(port).get("control_seen") is True, 60, "the dispatcher to see the control role")
    assert health(port)["warning"] is None
