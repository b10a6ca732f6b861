import time

from tests.support.processes import processes_with
from workers_app.executors import run_shell


def test_background_children_of_a_finished_command_are_killed(sleep_marker):
    # The leader exits at once, but its child keeps the output pipes open: run_shell must
    # neither wait for the child to finish nor leave it running.
    began = time.monotonic()
    result = run_shell({"command": f"sleep {sleep_marker} & echo started"}, timeout=5, kill_grace=0.5)

    assert result.status == "succeeded"
    assert result.exit_code == 0
    assert result.stdout == "started\n"
    assert time.monotonic() - began < 3
    assert processes_with(f"sleep {sleep_marker}") == []


def test_background_children_that_ignore_sigterm_are_killed_too(sleep_marker):
    result = run_shell(
        {"command": f"trap '' TERM; sleep {sleep_marker} & exit 4"}, timeout=5, kill_grace=0.5
    )

    assert result.status == "failed"
    assert result.error == "exit code 4"
    assert processes_with(f"sleep {sleep_marker}") == []
