"""The multi-instance guide's key log events: "instance started" with the instance_id and its
roles (its "Phase2 enabled"), and "Redis connected" from each process that uses Redis."""

import json

import pytest

from tests.support.processes import wait_for

pytestmark = pytest.mark.e2e


def _events(platform, name):
    lines = [line for line in platform.log(name).splitlines() if line.startswith("{")]
    return [json.loads(line) for line in lines]


def test_control_logs_its_start_and_its_redis(platform):
    platform.start("control", LOG_FORMAT="json")
    connected = wait_for(
        lambda: [e for e in _events(platform, "control") if e["message"] == "Redis connected"], 60,
        f"'Redis connected' in the control log\n{platform.log('control')[-2000:]}",
    )
    started = [e for e in _events(platform, "control") if e["message"] == "instance started"]
    assert len(started) == 1
    assert started[0]["instance_id"] == f"test-{platform.uid}"
    assert started[0]["roles"] == "control" and started[0]["name"] == "taskplane.instances"
    assert connected[0]["role"] == "control" and connected[0]["level"] == "INFO"
    assert connected[0]["key_prefix"] == f"tp-test-{platform.uid}"
