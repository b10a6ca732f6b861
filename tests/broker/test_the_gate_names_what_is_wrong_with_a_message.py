"""The gate's checks one by one (scheduler_project/broker_guard.py), on messages as kombu hands
them over: the reason and what it names. (The end-to-end test, test_forged_messages_never_stop_a_
consumer.py, sends such messages to running roles on a real broker.)"""

import json
from dataclasses import dataclass, field

import pytest
from kombu.serialization import loads

from scheduler_project import broker_guard
from scheduler_project.broker_guard import Refused, check, role_accepts, role_of

ACCEPT = {"application/json"}
REGISTERED = {"workers.execute", "workers.ping", "control.run_event", "control.sweep", "notifications.deliver",
              "celery.chord_unlock"}


@dataclass
class Message:
    body: bytes = b"[[], {}, {}]"
    content_type: str = "application/json"
    headers: dict = field(default_factory=lambda: {"task": "control.run_event", "id": "m-1"})
    delivery_info: dict = field(default_factory=lambda: {"routing_key": "status"})
    properties: dict = field(default_factory=dict)

    def decode(self):
        return loads(self.body, self.content_type, "utf-8", accept=ACCEPT)


def reason(message, role="control"):
    try:
        check(message, ACCEPT, REGISTERED, role)
    except Refused as refused:
        return refused.reason, refused.detail
    return None


def headers(**fields):
    return {"task": "control.run_event", "id": "m-1", **fields}


CASES = {
    "no headers": (Message(headers=None), "malformed", "not a Celery protocol 2 message"),
    "a task that is no name": (Message(headers=headers(task=["x"])), "malformed", "not a name"),
    "no id": (Message(headers={"task": "control.run_event"}), "malformed", "no id"),
    "pickle": (Message(content_type="application/x-python-serialize"), "content_type", "JSON only"),
    "yaml": (Message(content_type="application/x-yaml"), "content_type", "JSON only"),
    "an unknown task": (Message(headers=headers(task="no.such")), "unknown_task", "no.such"),
    "bytes that are no JSON": (Message(body=b"\xff\xfe"), "malformed", "does not decode"),
    "an object body": (Message(body=b'{"not": "celery"}'), "malformed", "[args, kwargs, embed]"),
    "a short body": (Message(body=b"[1, 2]"), "malformed", "[args, kwargs, embed]"),
    "kwargs not an object": (Message(body=b"[[], [], {}]"), "malformed", "[args, kwargs, embed]"),
    "callbacks": (Message(body=json.dumps([[], {}, {"callbacks": [{"task": "x"}]}]).encode()), "malformed",
                  "callbacks"),
    "a chain": (Message(body=json.dumps([[], {}, {"chain": [{"task": "x"}]}]).encode()), "malformed", "chains"),
    "an eta that is no time": (Message(headers=headers(eta="tomorrow")), "malformed", "eta"),
    "expires that is a number": (Message(headers=headers(expires=5)), "malformed", "expires"),
    "a timelimit that is no pair": (Message(headers=headers(timelimit="forever")), "malformed", "timelimit"),
    "negative retries": (Message(headers=headers(retries=-1)), "malformed", "retries"),
    "a root id that is an object": (Message(headers=headers(root_id={"a": 1})), "malformed", "root_id"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_bad_message_is_refused_naming_the_problem(case):
    message, expected, named = CASES[case]
    refused = reason(message)
    assert refused and refused[0] == expected and named in refused[1], refused


def test_a_well_formed_message_of_the_role_passes():
    assert reason(Message(headers=headers(eta="2030-01-01T00:00:00+00:00", timelimit=[None, 30], retries=2))) is None
    assert reason(Message(headers=headers(task="workers.execute")), role="worker") is None


def test_each_role_takes_only_its_own_tasks():
    assert reason(Message(headers=headers(task="workers.execute")), role="control")[0] == "wrong_role"
    assert reason(Message(headers=headers(task="celery.chord_unlock")), role="control")[0] == "wrong_role"
    assert reason(Message(headers=headers(task="control.sweep")), role="worker")[0] == "wrong_role"
    assert reason(Message(headers=headers(task="notifications.deliver")), role="worker")[0] == "wrong_role"
    assert role_accepts("control", "notifications.deliver") and role_accepts("worker", "workers.ping")


def test_a_celery_started_by_hand_takes_its_role_from_its_queues(settings, monkeypatch):
    monkeypatch.delenv("TASKPLANE_ROLE", raising=False)
    mq = settings.TP.message_queue
    assert role_of([mq.control_queue, mq.status_queue]) == "control"
    assert role_of([f"{mq.task_queue}.shell"]) == "worker"
    assert role_of([mq.control_queue, f"{mq.task_queue}.shell"]) is None  # both sides: any known task
    monkeypatch.setenv("TASKPLANE_ROLE", "worker")
    assert role_of([mq.control_queue]) == "worker"


def test_the_record_of_a_refusal_is_bounded_and_json():
    message = Message(body=b"\x00" * 100_000, headers=headers(big="x" * 100_000))
    record = broker_guard.describe(message, "malformed", "d" * 5000, "control@i", "control")
    assert len(record["body"]) <= broker_guard.BODY_EXCERPT and len(record["headers"]) <= broker_guard.HEADERS_EXCERPT
    assert len(record["detail"]) <= 1000 and record["body_size"] == 100_000 and record["queue"] == "status"
    json.dumps(record)
