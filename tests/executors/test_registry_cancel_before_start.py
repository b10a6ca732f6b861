import os
import time

import pytest

from workers_app.executors import ExecutionRegistry, run_shell, run_spec


def test_a_cancel_before_the_start_prevents_the_start(registry, tmp_path):
    witness = tmp_path / "ran"
    assert registry.request_cancel("run-7-a1", grace_seconds=1) is False  # nothing runs yet

    result = run_shell({"command": f"touch {witness}"}, timeout=5, execution_id="run-7-a1", registry=registry)

    assert result.status == "cancelled"
    assert result.error == "cancelled before start"
    assert result.exit_code is None
    assert not witness.exists()
    assert registry.cancel_requested("run-7-a1")  # kept, so a redelivery does not run either


def test_a_cancel_before_the_start_holds_for_http_too(registry):
    registry.request_cancel("run-8-a1", grace_seconds=1)

    result = run_spec("http", {"url": "http://127.0.0.1:9/"}, timeout=1, execution_id="run-8-a1", registry=registry)

    assert result.status == "cancelled"


def test_other_executions_are_not_affected(registry):
    registry.request_cancel("run-9-a1", grace_seconds=1)

    result = run_shell({"command": "true"}, timeout=5, execution_id="run-9-a2", registry=registry)

    assert result.status == "succeeded"


@pytest.mark.parametrize("bad", ["../escape", "a/b", "", "run.1", "x" * 129, "run 1"])
def test_execution_ids_cannot_escape_the_directory(registry, bad):
    with pytest.raises(ValueError):
        registry.request_cancel(bad, 1)
    assert run_shell({"command": "true"}, timeout=5, execution_id=bad, registry=registry).status == "failed"


def test_the_default_directory_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("TASKPLANE_RUNTIME_DIR", str(tmp_path / "rt"))
    ExecutionRegistry().request_cancel("run-10-a1", 1)

    assert (tmp_path / "rt").is_dir()
    assert ExecutionRegistry(tmp_path / "rt").cancel_requested("run-10-a1")


def test_prune_removes_only_old_markers(registry):
    registry.request_cancel("run-old", 1)
    registry.request_cancel("run-new", 1)
    a_day_ago = time.time() - 86400 - 60
    os.utime(registry.dir / "run-old.cancel", (a_day_ago, a_day_ago))

    assert registry.prune(86400) == 1
    assert not registry.cancel_requested("run-old")
    assert registry.cancel_requested("run-new")
