import time

from tests.support.processes import processes_with
from workers_app.executors import run_shell


def test_a_timeout_kills_the_leader_and_its_background_children(sleep_marker):
    began = time.monotonic()
    result = run_shell({"command": f"sleep {sleep_marker} & sleep {sleep_marker}"}, timeout=1, kill_grace=0.5)

    assert result.status == "timed_out"
    assert result.error == "timed out after 1s"
    assert result.exit_code == -15  # the shell died of the SIGTERM
    assert 1 <= time.monotonic() - began < 4
    assert processes_with(f"sleep {sleep_marker}") == []


def test_members_that_ignore_sigterm_are_killed_after_the_grace(sleep_marker):
    began = time.monotonic()
    result = run_shell(
        {"command": f"trap '' TERM; sleep {sleep_marker} & sleep {sleep_marker}"}, timeout=1, kill_grace=0.5
    )

    assert result.status == "timed_out"
    assert result.exit_code == -9
    assert 1.5 <= time.monotonic() - began < 5  # timeout + the whole grace, then KILL
    assert processes_with(f"sleep {sleep_marker}") == []
