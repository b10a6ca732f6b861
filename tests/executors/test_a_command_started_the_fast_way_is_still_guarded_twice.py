"""Commands start without a Python preexec_fn (which forks the whole worker process: about 5 ms of
CPU per command) where a shell and setpriv exist: a shell prologue (dash, else bash) registers the
group with the guard and execs `setpriv --pdeathsig KILL`; a `command` spec has setpriv exec its
own /bin/sh, which registers the group and then runs the command (group_guard.py). Each of the
two mechanisms still holds on its own: with the guard killed first, the command's leader dies
with its starter (PDEATHSIG); and the guard alone kills the leader's children (the registration
happened before the command ran). The command's stdin is /dev/null, never the guard's pipe. A
program that cannot be started is still said so, naming it."""

import signal
import subprocess
import sys
import textwrap

import psutil
import pytest

from tests.support.processes import processes_with, wait_for
from workers_app.executors import group_guard, run_shell

pytestmark = pytest.mark.skipif(not (group_guard.SHELL and group_guard.SETPRIV), reason="needs a shell and setpriv")


def _starter(spec: dict) -> subprocess.Popen:
    program = textwrap.dedent(f"""
        from workers_app.executors import run_shell
        run_shell({spec!r}, timeout=600)
    """)
    return subprocess.Popen([sys.executable, "-c", program])


def _sleeping(marker: int) -> list[psutil.Process]:
    """The `sleep` processes themselves (the starter's own command line names them too)."""
    return [p for p in processes_with(f"sleep {marker}") if p.name() == "sleep"]


def _guard_of(starter: subprocess.Popen) -> psutil.Process:
    def found():
        return [p for p in psutil.Process(starter.pid).children() if "-I" in p.cmdline() and "-S" in p.cmdline()]
    return wait_for(lambda: (found() or [None])[0], 30, "the starter's guard process")


def test_this_machine_takes_the_fast_way():
    argv, options = group_guard.guard.spawn(["true"], {"PATH": "/usr/bin:/bin"})
    assert argv[0] == group_guard.SHELL and "preexec_fn" not in options and argv[-1] == "true"


def test_a_command_spec_runs_in_its_own_shell_after_setpriv():
    # One exec less: setpriv, then /bin/sh itself registering the group and running the command.
    argv, options = group_guard.guard.spawn(["/bin/sh", "-c", "true"], {"PATH": "/usr/bin:/bin"})
    assert argv[0] == group_guard.SETPRIV and argv[4:6] == ["/bin/sh", "-c"] and argv[-1] == "true"
    assert "preexec_fn" not in options


def test_a_command_sees_what_sh_c_gives_it():
    # $0, no positional parameters, its exit status; a syntax error is exit 2.
    result = run_shell({"command": 'echo "$0 $# [$1]"\nexit 3'}, timeout=10)
    assert (result.exit_code, result.stdout) == (3, "/bin/sh 0 []\n")
    broken = run_shell({"command": "echo ("}, timeout=10)
    assert broken.exit_code == 2 and "Syntax error" in broken.stderr


@pytest.mark.parametrize("spec", [
    lambda marker: {"argv": ["sleep", str(marker)]},  # the leader is sleep itself
    lambda marker: {"command": f"exec sleep {marker}"},  # through the command's own shell
], ids=["argv", "command"])
def test_the_leader_dies_with_its_starter_without_the_guard(sleep_marker, spec):
    starter = _starter(spec(sleep_marker))
    try:
        wait_for(lambda: _sleeping(sleep_marker), 30, "the command to start")
        _guard_of(starter).kill()
    finally:
        starter.send_signal(signal.SIGKILL)
        starter.wait(10)
    wait_for(lambda: _sleeping(sleep_marker) == [], 5, "PDEATHSIG to kill the leader")


def test_the_guard_kills_the_leaders_children(sleep_marker):
    # sh forks the background sleep; only the guard (which the group was registered with) can
    # reach it: PDEATHSIG is the leader's alone.
    starter = _starter({"command": f"sleep {sleep_marker} & wait"})
    try:
        wait_for(lambda: _sleeping(sleep_marker), 30, "the command to start")
    finally:
        starter.send_signal(signal.SIGKILL)
        starter.wait(10)
    wait_for(lambda: _sleeping(sleep_marker) == [], 5, "the guard to kill the whole group")


def test_a_program_that_cannot_start_is_named(tmp_path):
    plain_file = tmp_path / "data.txt"
    plain_file.write_text("not a program")
    assert run_shell({"argv": ["no-such-program-here"]}, timeout=10).error == \
        "cannot start 'no-such-program-here': No such file or directory"
    assert run_shell({"argv": [str(plain_file)]}, timeout=10).error == \
        f"cannot start {str(plain_file)!r}: Permission denied"
    ok = run_shell({"argv": ["sh", "-c", "echo $0 and $1", "zero", "one"]}, timeout=10)
    assert (ok.status, ok.stdout) == ("succeeded", "zero and one\n")  # the prologue passes argv through


# The glob is expanded before readlink starts: it lists the shell's own descriptors.
DESCRIPTORS = 'readlink /proc/$$/fd/*; read -r line; echo "read: ${line:-nothing}"'


@pytest.mark.parametrize("spec", [{"command": DESCRIPTORS}, {"argv": ["sh", "-c", DESCRIPTORS]}],
                         ids=["command", "argv"])
def test_the_command_gets_dev_null_as_stdin_and_no_copy_of_the_guards_pipe(spec):
    # The guard's pipe is the prologue's stdin: were it left there, a command reading stdin would
    # read the pipe, and a command (or its daemonized child) holding a copy would keep the guard
    # from ever seeing EOF when the starter dies.
    result = run_shell(spec, timeout=10)
    assert result.status == "succeeded", result.error
    *targets, read = result.stdout.splitlines()
    assert targets[0] == "/dev/null"
    assert len(targets) == 3 and all(t.startswith("pipe:") for t in targets[1:])  # stdout, stderr: nothing else
    assert read == "read: nothing"


def test_dash_is_the_prologues_shell_where_it_exists():
    if group_guard.DASH is None:
        pytest.skip("no dash on this machine")
    argv, _ = group_guard.guard.spawn(["true"], {"PATH": "/usr/bin:/bin"})
    assert argv[:2] == [group_guard.DASH, "-c"]
