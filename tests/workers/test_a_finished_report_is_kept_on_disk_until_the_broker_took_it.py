"""Issue 14 item 6: a finished execution's report is kept on disk, per node, until the broker
accepted it: the delivery tries again through an outage, and what it leaves (it gave up, or its
process died) the node's main process sends with its heartbeats."""

import json

import pytest

from workers_app import execution

NODE = "worker@reports"
EXECUTION = {"run_id": 7, "attempt": 1, "fence": "f", "execution_id": "run-7-a1-f"}


@pytest.fixture(autouse=True)
def node_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("TASKPLANE_RUNTIME_DIR", str(tmp_path))


class Broker:
    def __init__(self, refusals):
        self.refusals, self.sent = refusals, []

    def __call__(self, event):
        if self.refusals:
            self.refusals -= 1
            raise ConnectionRefusedError("the broker is away")
        self.sent.append(event)


def test_the_delivery_tries_again_until_the_broker_takes_it(monkeypatch):
    broker = Broker(refusals=3)
    monkeypatch.setattr(execution, "send_event", broker)
    monkeypatch.setattr(execution.time, "sleep", lambda s: None)
    assert execution.report_finished(EXECUTION, NODE, status="succeeded", exit_code=0)
    assert [e["status"] for e in broker.sent] == ["succeeded"]
    assert list(execution.reports_dir(NODE).iterdir()) == []


def test_a_report_left_by_a_dead_delivery_is_sent_by_the_main_process(monkeypatch):
    monkeypatch.setattr(execution, "REPORT_HOLD_SECONDS", 0)
    monkeypatch.setattr(execution, "send_event", Broker(refusals=1))
    assert not execution.report_finished(EXECUTION, NODE, status="succeeded", exit_code=0)
    held = execution.reports_dir(NODE) / "run-7-a1-f.json"
    assert json.loads(held.read_text())["event"]["status"] == "succeeded"

    broker = Broker(refusals=1)
    monkeypatch.setattr(execution, "send_event", broker)
    assert execution.resend_reports(NODE) == 0 and held.exists()  # still away: kept
    assert execution.resend_reports(NODE) == 1
    assert [e["run_id"] for e in broker.sent] == [7] and not held.exists()
