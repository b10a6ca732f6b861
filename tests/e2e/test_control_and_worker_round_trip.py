"""The first end-to-end test: real control and worker processes on the real broker.

A ping published by this test reaches the worker over the execution queue; the worker,
which has no database, answers over the broker; the control role records the answer.
"""

import json
import secrets

import pytest

from scheduler_project.celery import app
from scheduler_project.queues import execution_queue
from scheduler_project.redis_store import keys
from scheduler_project.redis_store.client import get_redis
from tests.support.processes import wait_for

pytestmark = pytest.mark.e2e


def test_a_ping_goes_from_test_to_worker_to_control(platform):
    platform.start("control")
    platform.start("worker", "--worker-id", f"w-{platform.uid}")
    token = secrets.token_hex(8)
    app.send_task("workers.ping", args=[token], queue=execution_queue(platform.mq.task_queue, "shell"))

    pong = json.loads(wait_for(lambda: get_redis().get(keys.pong(token)), 60, "the pong recorded by control"))
    assert pong["worker_id"] == f"w-{platform.uid}"
    assert pong["control"] == f"test-{platform.uid}"
