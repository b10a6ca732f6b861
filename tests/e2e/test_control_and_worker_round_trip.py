"""The first end-to-end test: real control and worker processes on the real broker.

A ping published by this test reaches the worker over the execution queue; the worker,
which has no database, answers over the broker; the control role records the answer.
"""

import secrets

import pytest

from instances_app import diagnostics
from scheduler_project.celery import app
from scheduler_project.queues import execution_queue
from tests.conftest import wait_for

pytestmark = pytest.mark.e2e


def test_a_ping_goes_from_test_to_worker_to_control(platform):
    platform.start("control")
    platform.start("worker", "--worker-id", f"w-{platform.uid}")
    token = secrets.token_hex(8)
    app.send_task("workers.ping", args=[token], queue=execution_queue(platform.mq.task_queue, "shell"))

    pong = wait_for(lambda: diagnostics.read_pong(token), 60, "the pong recorded by control")
    assert pong["worker_id"] == f"w-{platform.uid}"
    assert pong["control"] == f"test-{platform.uid}"
