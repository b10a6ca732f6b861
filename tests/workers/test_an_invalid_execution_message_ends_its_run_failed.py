"""An execution message a worker cannot run (a field missing, an execution id that cannot name
its files on the node) is reported `finished` as failed, naming the problem, when it says which
run it is: the run ends instead of waiting in `queued` for a start that never comes. Nothing is
started and no start is claimed."""

import pytest

from workers_app import execution

NODE = "worker@invalid"


@pytest.fixture
def sent(monkeypatch, tmp_path):
    monkeypatch.setenv("TASKPLANE_RUNTIME_DIR", str(tmp_path))
    events = []
    monkeypatch.setattr(execution, "send_event", lambda event: events.append(event))
    return events


def _message(**changes):
    message = {"run_id": 7, "attempt": 1, "fence": "f", "execution_id": "run-7-a1-f", "type": "shell",
               "spec": {"command": "true"}, "timeout_seconds": 10}
    return {k: v for k, v in {**message, **changes}.items() if v is not None}


@pytest.mark.parametrize(("changes", "named"), [
    ({"execution_id": "../../etc/passwd"}, "invalid execution id '../../etc/passwd'"),
    ({"spec": None, "timeout_seconds": None}, "execution message lacks spec, timeout_seconds"),
])
def test_it_is_reported_failed_with_the_reason(sent, changes, named):
    assert execution.run_execution(_message(**changes), NODE) == "invalid"
    assert [(e["kind"], e["run_id"], e["status"]) for e in sent] == [("finished", 7, "failed")]
    assert sent[0]["error"].startswith(f"invalid execution message: {named}")


def test_one_that_does_not_say_which_run_is_dropped_without_a_report(sent):
    assert execution.run_execution({"execution_id": "x"}, NODE) == "invalid"
    assert sent == []
