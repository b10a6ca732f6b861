import os

import pytest

from workers_app.executors import run_shell


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({}, "spec.command: give exactly one of command"),
        ({"command": "true", "argv": ["true"]}, "spec.command: give exactly one of command"),
        ({"command": ""}, "spec.command: must be a non-empty string"),
        ({"command": 42}, "spec.command: must be a non-empty string"),
        ({"argv": []}, "spec.argv: must be a non-empty list"),
        ({"argv": "echo hi"}, "spec.argv: must be a non-empty list"),
        ({"argv": ["echo", 1]}, "spec.argv: must be a non-empty list"),
        ({"command": "true", "env": ["A=1"]}, "spec.env: must map names to string values"),
        ({"command": "true", "env": {"A": 1}}, "spec.env: must map names to string values"),
        ({"command": "true", "env": {"A=B": "1"}}, "spec.env: 'A=B' is not an environment variable name"),
        ({"command": "true", "cwd": "/no/such/dir"}, "is not an existing directory"),
        ({"command": "true", "cwd": 3}, "spec.cwd: must be an absolute path"),
        ({"command": "a\0b"}, "NUL"),
        ("echo hi", "must be an object"),
    ],
)
def test_a_bad_spec_fails_with_a_clear_error(spec, message):
    result = run_shell(spec, timeout=5)

    assert result.status == "failed"
    assert message in result.error
    assert result.exit_code is None


def test_a_missing_program_fails_without_raising():
    result = run_shell({"argv": ["/no/such/program"]}, timeout=5)

    assert result.status == "failed"
    assert "cannot start '/no/such/program'" in result.error


def test_env_cwd_and_argv_are_applied(tmp_path):
    result = run_shell(
        {"argv": ["sh", "-c", 'echo "$GREETING $(pwd)" "$1"', "sh", "$HOME"], "env": {"GREETING": "hi"},
         "cwd": str(tmp_path)},
        timeout=5,
    )

    assert result.status == "succeeded"
    assert result.stdout == f"hi {os.path.realpath(tmp_path)} $HOME\n"  # argv items are not expanded


def test_exit_codes_and_signals_decide_the_status():
    assert run_shell({"command": "exit 3"}, timeout=5).error == "exit code 3"
    killed = run_shell({"command": "kill -KILL $$"}, timeout=5)
    assert (killed.status, killed.exit_code, killed.error) == ("failed", -9, "killed by signal 9")
    assert run_shell({"command": "true"}, timeout=None).status == "succeeded"
