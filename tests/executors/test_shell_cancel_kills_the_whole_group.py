import subprocess
import sys
import threading
import time

from tests.support.processes import processes_with, sleepers, wait_for
from workers_app.executors import run_shell


def _start(spec, registry, execution_id, **kwargs):
    box = {}
    thread = threading.Thread(
        target=lambda: box.update(result=run_shell(
            spec, timeout=30, execution_id=execution_id, registry=registry, **kwargs
        )),
        daemon=True,
    )
    thread.start()
    return thread, box


def test_request_cancel_terminates_a_running_group(registry, sleep_marker):
    spec = {"command": f"sleep {sleep_marker} & sleep {sleep_marker}"}
    thread, box = _start(spec, registry, "run-12-a1-f3", kill_grace=5)
    # run_shell registers the group only after Popen returns, by which time the shell may
    # already have forked both sleeps: wait for the registration as well.
    wait_for(lambda: len(sleepers(sleep_marker)) == 2 and registry.pgid("run-12-a1-f3"), 5,
             "both sleeps to start and the group to register")

    began = time.monotonic()
    assert registry.request_cancel("run-12-a1-f3", grace_seconds=0.5) is True
    thread.join(5)

    assert not thread.is_alive()
    assert time.monotonic() - began < 3
    assert box["result"].status == "cancelled"
    assert box["result"].error == "cancelled"
    assert processes_with(f"sleep {sleep_marker}") == []
    assert registry.pgid("run-12-a1-f3") is None  # unregistered once finished


def test_cancel_from_another_process_kills_members_that_ignore_sigterm(registry, sleep_marker):
    # As in the worker: the cancel comes from another process (here one that exits at once,
    # so its own KILL thread dies with it) and run_shell escalates to KILL itself.
    spec = {"command": f"trap '' TERM; sleep {sleep_marker} & sleep {sleep_marker}"}
    thread, box = _start(spec, registry, "run-13-a1", kill_grace=0.5)
    wait_for(lambda: len(sleepers(sleep_marker)) == 2 and registry.pgid("run-13-a1"), 5,
             "both sleeps to start and the group to register")

    canceller = subprocess.run(
        [sys.executable, "-c", "import sys; from workers_app.executors.execution_registry import ExecutionRegistry as R; "
         "print(R(sys.argv[1]).request_cancel('run-13-a1', 30))", str(registry.dir)],
        capture_output=True, text=True, timeout=10,
    )
    assert canceller.stdout.strip() == "True", canceller.stderr
    thread.join(5)

    assert not thread.is_alive()
    assert box["result"].status == "cancelled"
    assert box["result"].exit_code == -9
    assert processes_with(f"sleep {sleep_marker}") == []
