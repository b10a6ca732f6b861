"""Issue 14: a delivery of an execution message starts its command only once the control role
answered its start claim with go (workers_app/execution.py). A stop, or a cancel marker, means
the command never starts and nothing is reported as finished; a claim without an answer is asked
again with the same token."""

import threading

import pytest

from workers_app import execution
from workers_app.executors.execution_registry import ExecutionRegistry

NODE = "worker@claims"


@pytest.fixture
def node_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("TASKPLANE_RUNTIME_DIR", str(tmp_path))
    return execution.registry_for(NODE)


@pytest.fixture
def sent(monkeypatch):
    events = []
    monkeypatch.setattr(execution, "send_event", lambda event: events.append((event["kind"], event)))
    return events


def message(tmp_path, n=1):
    marker = tmp_path / f"ran-{n}"
    return marker, {"run_id": n, "attempt": 1, "fence": "f", "execution_id": f"run-{n}-a1-f", "type": "shell",
                    "spec": {"command": f"touch {marker}"}, "timeout_seconds": 10}


def answer_when_claimed(registry: ExecutionRegistry, sent, execution_id, verdict, reason="", after=1):
    def answer():
        while len([e for e in sent if e[0] == "started"]) < after:
            threading.Event().wait(0.01)
        registry.write_verdict(execution_id, sent[-1][1]["claim"], verdict, reason)
    threading.Thread(target=answer, daemon=True).start()


def test_go_starts_the_command(tmp_path, node_dir, sent, settings):
    marker, ex = message(tmp_path)
    answer_when_claimed(node_dir, sent, ex["execution_id"], "go")
    assert execution.run_execution(ex, NODE) == "succeeded"
    assert marker.exists()
    assert [k for k, _ in sent] == ["started", "finished"]


def test_stop_never_starts_it_and_reports_nothing_more(tmp_path, node_dir, sent):
    marker, ex = message(tmp_path)
    answer_when_claimed(node_dir, sent, ex["execution_id"], "stop", "attempt 1 already runs on w2")
    assert execution.run_execution(ex, NODE) == "stopped"
    assert not marker.exists()
    assert [k for k, _ in sent] == ["started"]


def test_a_cancel_marker_stops_it_before_any_answer(tmp_path, node_dir, sent):
    marker, ex = message(tmp_path)
    node_dir.request_cancel(ex["execution_id"], 0)
    assert execution.run_execution(ex, NODE) == "stopped"
    assert not marker.exists()


def test_an_unanswered_claim_is_asked_again_with_the_same_token(tmp_path, node_dir, sent, monkeypatch):
    monkeypatch.setattr(execution, "CLAIM_ASK_AGAIN_SECONDS", 0.1)
    marker, ex = message(tmp_path)
    answer_when_claimed(node_dir, sent, ex["execution_id"], "go", after=3)
    assert execution.run_execution(ex, NODE) == "succeeded"
    claims = [f["claim"] for k, f in sent if k == "started"]
    assert len(claims) >= 3 and len(set(claims)) == 1
