"""Issue 14 item 1: a shell command (its own session) dies with the process that started it,
however that process dies: kill -9 of the starter leaves neither the command's leader nor its
children running (group_guard.py)."""

import signal
import subprocess
import sys
import textwrap

from tests.support.processes import processes_with, wait_for


def _starter(command: str) -> subprocess.Popen:
    program = textwrap.dedent(f"""
        from workers_app.executors import run_shell
        run_shell({{"command": {command!r}}}, timeout=600)
    """)
    return subprocess.Popen([sys.executable, "-c", program])


def test_a_command_and_its_children_die_with_a_killed_starter(sleep_marker):
    starter = _starter(f"sleep {sleep_marker} & sleep {sleep_marker}; wait")
    try:
        wait_for(lambda: len(processes_with(f"sleep {sleep_marker}")) >= 2, 30, "both sleepers to start")
    finally:
        starter.send_signal(signal.SIGKILL)
        starter.wait(10)

    wait_for(lambda: processes_with(f"sleep {sleep_marker}") == [], 5, "the command to die with its starter")


def test_a_command_that_ends_normally_is_forgotten_by_the_guard(sleep_marker):
    # The starter ends after the command: nothing left to kill, and nothing of it left running.
    starter = _starter(f"sleep 0.2 && echo {sleep_marker}")
    assert starter.wait(30) == 0
    assert processes_with(f"sleep {sleep_marker}") == []
