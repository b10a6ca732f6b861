"""A delivery's start claim is answered on its node's own queue (workers_app/claim_answers.py),
not by a remote-control broadcast that every process listening for remote control on the broker
receives: other worker nodes, control instances, and Celery workers of other applications sharing
the vhost or Redis database. What arrives on that queue and is no answer is refused like any
forged message (guarantee 10): recorded with its reason, and the node goes on answering claims.

Real control and worker processes on the broker the environment names (CI: Redis and RabbitMQ)."""

from __future__ import annotations

import json
import pickle
import time
import uuid

import pytest
from celery import Celery

from scheduler_project.queues import answer_queue
from tasks_app.models import Task
from tasks_app.services import definitions
from tests.support.processes import wait_for
from workers_app.models import RejectedMessage

pytestmark = pytest.mark.e2e


class Bystander:
    """A process listening for remote control on the platform's broker, as any other Celery
    worker there does: it records the method of every broadcast it receives."""

    def __init__(self, broker_url: str):
        self.client = Celery(broker=broker_url, set_as_current=False)
        self.connection = self.client.connection_for_read()
        self.methods: list[str] = []
        node = self.client.control.mailbox(self.connection).Node(f"bystander@{uuid.uuid4().hex[:8]}")
        self.consumer = node.listen(channel=self.connection.default_channel,
                                    callback=lambda body, message: self.methods.append(body.get("method")))

    def listen_for(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                self.connection.drain_events(timeout=0.2)
            except TimeoutError:
                pass

    def hears_probe(self, timeout: float) -> bool:
        """Broadcast a command of our own until the bystander heard it (on Redis its subscription
        only starts with its first wait for messages)."""
        deadline = time.monotonic() + timeout
        while "taskplane_probe" not in self.methods and time.monotonic() < deadline:
            self.client.control.broadcast("taskplane_probe", destination=["nobody@nowhere"])
            self.listen_for(0.5)
        return "taskplane_probe" in self.methods

    def close(self) -> None:
        self.consumer.cancel()
        self.connection.release()
        self.client.close()


def test_a_runs_answer_reaches_its_node_and_no_other_listener(platform):
    platform.start("control")
    platform.start("worker", "--worker-id", "asks")
    bystander = Bystander(platform.config.broker_url)
    try:
        # The bystander hears broadcasts: one of our own, before the run.
        assert bystander.hears_probe(30), "the bystander never heard a broadcast"

        task = Task.objects.create(name="answered-alone", type="shell", spec={"command": "true"}, max_retries=0)
        run = platform.wait_run(definitions.trigger(task).pk, "succeeded", timeout=90)
        assert run.worker == "asks"
        bystander.listen_for(1.0)
    finally:
        bystander.close()
    assert "taskplane_verdict" not in bystander.methods, "the claim's answer was broadcast to every listener"


def test_what_is_no_answer_is_refused_and_the_node_goes_on(platform):
    control = platform.start("control")
    worker = platform.start("worker", "--worker-id", "refuses")
    node = "worker@refuses"
    queue = answer_queue(platform.mq.task_queue, node)
    # The node declares its queue when it starts consuming: once a run went round the trip.
    first = Task.objects.create(name="before-the-bad-answers", type="shell", spec={"command": "true"}, max_retries=0)
    platform.wait_run(definitions.trigger(first).pk, "succeeded", timeout=90)

    client = Celery(broker=platform.config.broker_url, set_as_current=False)
    sent = {}  # what it is -> (message id, the reason it must be refused for, words of the detail)
    try:
        with client.connection_for_write() as conn:
            producer = conn.Producer()

            def forge(what: str, reason: str, words: str, body: bytes, content_type: str = "application/json"):
                message_id = str(uuid.uuid4())
                producer.publish(body, exchange="", routing_key=queue, content_type=content_type,
                                 content_encoding="utf-8", correlation_id=message_id, retry=True)
                sent[what] = (message_id, reason, words)

            forge("a list", "malformed", "JSON object", json.dumps([1, 2]).encode())
            forge("a number for an id", "malformed", "execution_id must be text",
                  json.dumps({"execution_id": 7, "claim": "c", "verdict": "go"}).encode())
            forge("a path for an id", "malformed", "invalid execution id",
                  json.dumps({"execution_id": "../x", "claim": "c", "verdict": "go"}).encode())
            forge("no such verdict", "malformed", "verdict must be go or stop",
                  json.dumps({"execution_id": "run-1-a1-f", "claim": "c", "verdict": "maybe"}).encode())
            forge("no JSON", "malformed", "", b"\xff\xfe not json")
            forge("pickle", "content_type", "", pickle.dumps({"execution_id": "x"}), "application/x-python-serialize")
    finally:
        client.close()

    ids = [message_id for message_id, _, _ in sent.values()]
    wait_for(lambda: RejectedMessage.objects.filter(message_id__in=ids).count() == len(ids), 60,
             lambda: f"every refusal recorded; {RejectedMessage.objects.filter(message_id__in=ids).count()} of {len(ids)}")
    for what, (message_id, reason, words) in sent.items():
        row = RejectedMessage.objects.get(message_id=message_id)
        assert (row.reason, row.queue, row.node, row.role) == (reason, queue, node, "worker"), what
        assert words in row.detail, (what, row.detail)

    # The node is alive and still gets its answers: a run goes round the trip.
    assert control.poll() is None and worker.poll() is None
    task = Task.objects.create(name="after-the-bad-answers", type="shell", spec={"command": "true"}, max_retries=0)
    run = platform.wait_run(definitions.trigger(task).pk, "succeeded", timeout=90)
    assert run.worker == "refuses"
