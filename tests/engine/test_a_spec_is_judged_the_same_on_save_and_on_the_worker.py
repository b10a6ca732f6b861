"""One validator per spec (tasks_app.specs): a spec Task.clean() accepts is one the executors run,
and one it refuses is one they refuse with the same message. (Before, the two disagreed on a
relative cwd and on NUL characters.)"""

import pytest
from django.core.exceptions import ValidationError

from tasks_app.models import Task
from workers_app.executors.http import run_http
from workers_app.executors.shell import run_shell

SHELL = [
    {"command": "true"},
    {"argv": ["true"]},
    {"command": "true", "cwd": "relative/dir"},
    {"command": "true", "cwd": "/tmp\0x"},
    {"command": "a\0b"},
    {"argv": ["true", "x\0y"]},
    {"command": "true", "env": {"A=B": "1"}},
    {"command": "true", "env": {"A": "x\0y"}},
    {"command": "true", "argv": ["true"]},
    {"command": "true", "shell": "bash"},
]
HTTP = [
    {"url": "http://127.0.0.1:9/"},
    {"url": "ftp://example.com/"},
    {"url": "http://h/", "body": 12},
    {"url": "http://h/", "timeout_seconds": -1},
    {"url": "http://h/", "method": "FETCH"},
    {"url": "http://h/", "expected_statuses": [True]},
    {"url": "http://h/", "colour": "red"},
]


def refusal_on_save(task_type: str, spec) -> str:
    task = Task(name="t", type=task_type, spec=spec)
    try:
        task.clean()
    except ValidationError as exc:
        return "; ".join(f"{k}: {v[0]}" for k, v in exc.message_dict.items() if k.startswith("spec"))
    return ""


@pytest.mark.parametrize("spec", SHELL)
def test_shell_specs(spec):
    refused = refusal_on_save("shell", spec)
    result = run_shell(spec, timeout=5)
    if refused:
        assert result.status == "failed" and result.error == refused
    else:
        assert result.status == "succeeded"


@pytest.mark.parametrize("spec", HTTP)
def test_http_specs(spec):
    refused = refusal_on_save("http", spec)
    result = run_http(spec, timeout=2)
    if refused:
        assert result.status == "failed" and result.error == refused
    else:
        assert "spec." not in result.error  # it was tried: port 9 refuses, which is not a spec problem
