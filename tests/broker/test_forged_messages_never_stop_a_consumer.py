"""The broker is a trust boundary (issue 15 items 2, 3, 5; guarantee 10). A plain Celery client
(no project code) publishes forged and malformed messages to every queue of a running control
role and worker: the wrong shape, an unknown task, the other role's task, pickle and YAML
bodies that would touch a file if loaded, bytes that are no JSON, no headers, a bad eta. No
consumer stops (both roles still run a real task afterwards), nothing runs where it must not,
and every refusal is visible: a dead-letter record with its reason (API and database), the
metric, and one WARNING line in the refusing role's log.

Runs on the broker the environment names (CI runs it on Redis and on RabbitMQ)."""

from __future__ import annotations

import json
import os
import pickle
import secrets
import uuid

import pytest
from celery import Celery
from rest_framework.test import APIClient

from accounts_app.models import APIKey
from accounts_app.services import create_api_key
from scheduler_project.redis_store import keys
from scheduler_project.redis_store.client import get_redis
from tasks_app.models import Task
from tasks_app.services import definitions
from tests.support.processes import wait_for
from workers_app.models import RejectedMessage

pytestmark = pytest.mark.e2e


class Touch:
    """Unpickling this runs a shell command: a consumer that loads pickle would touch the file."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return os.system, (f"touch {self.path}",)


def forged_execution(marker) -> dict:
    return {"run_id": 999_999_999, "attempt": 1, "fence": "forged", "execution_id": f"forged-{secrets.token_hex(4)}",
            "task": "forged", "task_id": 999_999_999, "type": "shell", "spec": {"command": f"touch {marker}"},
            "params": {}, "timeout_seconds": 30}


def raw(client, queue: str, body: bytes, content_type: str, headers: dict | None) -> None:
    """Publish bytes as they are to the queue, with Celery's queue declaration."""
    declared = client.amqp.queues[queue]
    with client.connection_for_write() as conn:
        conn.Producer().publish(body, exchange=declared.exchange, routing_key=queue, declare=[declared],
                                content_type=content_type, content_encoding="utf-8", headers=headers or {},
                                retry=True)


def test_no_forged_message_stops_a_consumer_or_runs_where_it_must_not(platform, tmp_path):
    control = platform.start("control")
    worker = platform.start("worker", "--worker-id", "gate")
    mq = platform.mq
    control_node, worker_node = f"control@{platform.config.instance_id}", "worker@gate"
    control_queues = [mq.control_queue, mq.status_queue, mq.heartbeat_queue, mq.notification_queue]
    worker_queues = [f"{mq.task_queue}.shell", f"{mq.task_queue}.http"]
    marker = tmp_path / "ran"

    # Not set as current: later tests in this process publish through current_app, the project's.
    client = Celery(broker=platform.config.broker_url, set_as_current=False)
    expected = {}  # message id -> (queue, reason)
    try:
        wait_for(lambda: len(client.control.inspect(destination=[control_node, worker_node], timeout=2).ping() or {})
                 == 2, 60, "both roles to answer ping")
        for queue in control_queues + worker_queues:
            ours = "workers.execute" if queue in worker_queues else "control.run_event"
            theirs = "control.sweep" if queue in worker_queues else "workers.execute"

            def forge(reason, body, content_type="application/json", task=ours, queue=queue, **headers):
                message_id = str(uuid.uuid4())
                raw(client, queue, body, content_type, {"task": task, "id": message_id, "lang": "py", **headers})
                expected[message_id] = (queue, reason)

            # The message of issue 15 item 3: JSON, but not [args, kwargs, embed].
            forge("malformed", json.dumps({"not": "celery"}).encode())
            forge("malformed", json.dumps([1, 2]).encode())
            forge("malformed", b"\xff\xfe not json")
            forge("malformed", json.dumps([[], {}, {}]).encode(), eta="not a date")
            forge("malformed", json.dumps([[], {}, {}]).encode(), timelimit="forever")
            forge("content_type", pickle.dumps(((Touch(marker),), {}, {})), "application/x-python-serialize")
            forge("content_type", f'!!python/object/apply:os.system ["touch {marker}"]'.encode(), "application/x-yaml")
            # Celery's own client: an unknown task, and the other role's task.
            unknown = client.send_task("no.such.task", args=[1], queue=queue)
            expected[unknown.id] = (queue, "unknown_task")
            wrong = client.send_task(theirs, args=[forged_execution(marker)] if theirs == "workers.execute" else [],
                                     queue=queue)
            expected[wrong.id] = (queue, "wrong_role")
            # No headers at all: not a Celery message.
            raw(client, queue, json.dumps({"hello": "world"}).encode(), "application/json", None)
    finally:
        client.close()

    def recorded():
        return RejectedMessage.objects.filter(message_id__in=list(expected)).count() == len(expected)

    def missing():
        found = set(RejectedMessage.objects.filter(message_id__in=list(expected)).values_list("message_id", flat=True))
        return sorted(value for key, value in expected.items() if key not in found)

    wait_for(recorded, 60, lambda: f"every refusal recorded; missing: {missing()}")
    for message_id, (queue, reason) in expected.items():
        row = RejectedMessage.objects.get(message_id=message_id)
        assert (row.queue, row.reason) == (queue, reason), (row.detail, row.task_name)
        assert row.node == (worker_node if queue in worker_queues else control_node)
    headerless = RejectedMessage.objects.filter(message_id="", reason="malformed")
    wait_for(lambda: headerless.count() >= len(control_queues + worker_queues), 30, "the headerless messages' records")

    # No consumer stopped: both roles are alive and a real run still goes round the trip.
    assert control.poll() is None and worker.poll() is None
    task = Task.objects.create(name="after-the-forgeries", type="shell", spec={"command": "echo still here"})
    run = platform.wait_run(definitions.trigger(task).pk, "succeeded", timeout=90)
    assert run.worker == "gate"
    # Nothing ran where it must not: no forged execution, no pickle or YAML loaded.
    assert not marker.exists()

    # Visible: once in the log at WARNING, in the metric, in the API (Admin only).
    logs = platform.log("control") + platform.log("worker")
    for message_id in expected:
        assert logs.count(repr(message_id)) == 1, message_id
        assert "WARNING" in next(line for line in logs.splitlines() if repr(message_id) in line)
    wait_for(lambda: sum(
        int(v) for v in get_redis().hgetall(keys.metric("taskplane_rejected_messages_total")).values())
        >= len(expected), 30, "the metric")
    counts = {json.loads(field)[0]: int(value) for field, value in
              get_redis().hgetall(keys.metric("taskplane_rejected_messages_total")).items()}
    assert {"malformed", "content_type", "unknown_task", "wrong_role"} <= set(counts)

    _, clear = create_api_key("gate-admin", ["Admin"], source=APIKey.Source.API)
    api = APIClient()
    api.credentials(HTTP_X_API_KEY=clear)
    page = api.get("/api/v1/rejected-messages/", {"reason": "wrong_role", "limit": 100})
    assert page.status_code == 200
    assert {r["message_id"] for r in page.json()["results"]} >= {
        i for i, (_, reason) in expected.items() if reason == "wrong_role"}
    _, reader = create_api_key("gate-reader", ["WorkerRead", "SystemRead"], source=APIKey.Source.API)
    api.credentials(HTTP_X_API_KEY=reader)
    assert api.get("/api/v1/rejected-messages/").status_code == 403
