import threading
from types import SimpleNamespace

from celery.worker.control import Panel

from tests.support.processes import processes_with, sleepers, wait_for
from workers_app.control_commands import taskplane_cancel
from workers_app.execution import registry_for
from workers_app.executors import run_shell


def _state(node: str):
    # What Celery hands a control command; the command only reads the node name from it.
    return SimpleNamespace(consumer=SimpleNamespace(hostname=node))


def test_it_is_registered_as_a_remote_control_command():
    assert Panel.data["taskplane_cancel"] is taskplane_cancel
    assert Panel.meta["taskplane_cancel"].type == "control"


def test_it_cancels_a_run_of_its_own_node(monkeypatch, tmp_path, sleep_marker):
    monkeypatch.setenv("TASKPLANE_RUNTIME_DIR", str(tmp_path))
    registry = registry_for("worker@node1")
    box = {}
    thread = threading.Thread(target=lambda: box.update(result=run_shell(
        {"command": f"sleep {sleep_marker}"}, timeout=30, execution_id="run-5-a1", registry=registry
    )), daemon=True)
    thread.start()
    wait_for(lambda: registry.pgid("run-5-a1") and sleepers(sleep_marker), 5, "the run to register")

    assert taskplane_cancel(_state("worker@node2"), "run-5-a1", grace_seconds=0.5) == {"ok": True, "found": False}
    assert taskplane_cancel(_state("worker@node1"), "run-5-a1", grace_seconds=0.5) == {"ok": True, "found": True}
    thread.join(5)

    assert box["result"].status == "cancelled"
    assert processes_with(f"sleep {sleep_marker}") == []


def test_a_bad_id_is_refused_and_a_cancel_before_start_holds(monkeypatch, tmp_path):
    monkeypatch.setenv("TASKPLANE_RUNTIME_DIR", str(tmp_path))

    assert taskplane_cancel(_state("worker@node1"), "../run")["ok"] is False
    assert taskplane_cancel(_state("worker@node1"), "run-6-a1") == {"ok": True, "found": False}
    result = run_shell({"command": "true"}, timeout=5, execution_id="run-6-a1", registry=registry_for("worker@node1"))
    assert result.status == "cancelled"
