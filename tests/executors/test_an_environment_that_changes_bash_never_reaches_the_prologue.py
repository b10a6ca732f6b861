"""Commands start through a small shell prologue (group_guard.py: dash, else bash; a `command`
spec's own /bin/sh), which runs with the command's environment. An environment that changes what
bash does before the prologue (a file it sources, its options, exported functions) would run the
task's code before the group is registered, write the prologue into the command's output, or
replace the prologue's own printf, wherever the prologue's shell is bash: such a command starts
through the preexec_fn instead, whichever shell is there, with its environment passed to it
untouched."""

import pytest

from workers_app.executors import group_guard, run_shell

pytestmark = pytest.mark.skipif(not (group_guard.SHELL and group_guard.SETPRIV), reason="needs a shell and setpriv")


def test_a_file_named_by_bash_env_is_not_sourced_for_a_command_that_is_not_bash(tmp_path):
    sourced = tmp_path / "sourced"
    startup = tmp_path / "startup.sh"
    startup.write_text(f"echo once >> {sourced}\n")
    result = run_shell({"argv": ["sh", "-c", 'echo "$BASH_ENV"'], "env": {"BASH_ENV": str(startup)}}, timeout=10)
    assert (result.status, result.stdout) == ("succeeded", f"{startup}\n")  # the command still has it
    assert not sourced.exists()


def test_shell_options_from_the_environment_leave_the_output_alone():
    result = run_shell({"argv": ["true"], "env": {"SHELLOPTS": "xtrace"}}, timeout=10)
    assert (result.status, result.stdout, result.stderr) == ("succeeded", "", "")


def test_an_exported_function_of_the_workers_own_environment_cannot_stand_in_for_the_prologue(monkeypatch):
    # A task's env cannot name one (tasks_app.specs refuses the name); the worker's own can.
    monkeypatch.setenv("BASH_FUNC_printf%%", "() { echo replaced; }")
    result = run_shell({"argv": ["true"]}, timeout=10)
    assert (result.status, result.stdout, result.stderr) == ("succeeded", "", "")
    argv, options = group_guard.guard.spawn(["true"], {"PATH": "/usr/bin:/bin", "BASH_FUNC_printf%%": "() { :; }"})
    assert argv == ["true"] and "preexec_fn" in options


@pytest.mark.parametrize("name", ["BASH_ENV", "SHELLOPTS", "BASHOPTS", "BASH_FUNC_exec%%"])
def test_each_variable_bash_reads_takes_the_preexec_way(name):
    argv, options = group_guard.guard.spawn(["true"], {"PATH": "/usr/bin:/bin", name: "x"})
    assert argv == ["true"] and "preexec_fn" in options


def test_a_variable_bash_c_does_not_read_keeps_the_fast_way():
    argv, options = group_guard.guard.spawn(["true"], {"PATH": "/usr/bin:/bin", "ENV": "production"})
    assert argv[0] == group_guard.SHELL and "preexec_fn" not in options
