"""LOG_FORMAT=json on a whole platform (api, dispatcher, control, worker): every line every role
writes is one JSON object (gunicorn's access and error logs and Celery's banners and per-task
lines included); a run's lines are found by its run_id, with task_id, task, attempt and
worker_id; a worker's first line names its worker_id; a failed run is never "succeeded" and
the internal periodic tasks say nothing at INFO."""

import json

import pytest
import requests

from tasks_app.models import Task
from tasks_app.services import definitions
from tests.support.processes import wait_for

pytestmark = pytest.mark.e2e
ROLES = ("api", "dispatcher", "control", "worker")
INTERNAL = ("control.sweep", "control.heartbeat", "control.fire_schedules", "control.sweep_workers",
            "control.sweep_inboxes", "control.sweep_notifications")


def _parsed(platform, name: str) -> list[dict]:
    lines = []
    for number, line in enumerate(platform.log(name).splitlines(), 1):
        try:
            lines.append(json.loads(line))
        except ValueError:
            raise AssertionError(f"{name}.log line {number} is not JSON: {line!r}") from None
        assert isinstance(lines[-1], dict), f"{name}.log line {number} is not an object: {line!r}"
    return lines


def test_every_line_of_every_role_is_one_json_object_and_runs_are_found_by_run_id(platform):
    for role in ROLES:
        platform.start(role, *(("--worker-id", "wj") if role == "worker" else ()), LOG_FORMAT="json", LOG_LEVEL="info")
    good = Task.objects.create(name="good", type="shell", spec={"command": "echo fine"}, max_retries=0)
    bad = Task.objects.create(name="bad", type="shell", spec={"command": "echo broken >&2; exit 4"}, max_retries=0)
    ok = platform.wait_run(definitions.trigger(good).pk, {"succeeded", "failed"})
    failed = platform.wait_run(definitions.trigger(bad).pk, {"succeeded", "failed"})
    assert (ok.status, failed.status) == ("succeeded", "failed")
    api = f"http://127.0.0.1:{platform.api_port}"
    wait_for(lambda: requests.get(f"{api}/health", timeout=5).status_code == 200, 60, "the api's /health")
    requests.get(f"{api}/api/v1/tasks/", timeout=5)  # a 401: an access line and a warning
    # The worker's own outcome line (the runs took several periodic rounds: their noise is judged).
    # Each role's outcome lines (written just after what the test waited for) before the stop.
    for role in ("worker", "control"):
        wait_for(lambda role=role: {e.get("run_id") for e in _parsed(platform, role) if e.get("status")} >= {ok.pk, failed.pk},
                 30, lambda role=role: f"the {role}'s outcome lines\n{platform.logs()}")
    platform.stop()

    logs = {role: _parsed(platform, role) for role in ROLES}
    for role, lines in logs.items():
        assert lines, f"{role} wrote nothing"
        assert all(line.get("role") and line.get("level") and "message" in line for line in lines), role

    # The worker's first line names it.
    assert logs["worker"][0].get("worker_id") == "wj", logs["worker"][0]
    # gunicorn's access and error logs are JSON with the request's fields.
    access = [e for e in logs["api"] if e.get("name") == "gunicorn.access"]
    assert any(e.get("path") == "/api/v1/tasks/" and e.get("status") == 401 for e in access), access
    assert any(e.get("name") == "gunicorn.error" for e in logs["api"])

    for run, status in ((ok, "succeeded"), (failed, "failed")):
        worker = [e for e in logs["worker"] if e.get("run_id") == run.pk]
        control = [e for e in logs["control"] if e.get("run_id") == run.pk]
        assert worker and control, (run.pk, worker, control)
        for line in worker + control:
            assert (line.get("task_id"), line.get("task"), line.get("attempt"), line.get("worker_id")) == \
                (run.task_id, run.task.name, 1, "wj"), line
        outcome = [e for e in worker if e.get("status")]
        assert [e["status"] for e in outcome] == [status], outcome
        assert outcome[0]["level"] == ("INFO" if status == "succeeded" else "WARNING")
    # Celery never calls the failed run's execution "succeeded".
    everything = [line for lines in logs.values() for line in lines]
    assert not [e for e in everything if e.get("run_id") == failed.pk and "succeeded" in e["message"]]
    assert not [e for e in everything if "workers.execute" in e["message"] and "succeeded" in e["message"]]
    # The internal periodic tasks are quiet at INFO.
    noisy = [e for e in everything if e["level"] == "INFO" and any(f"{name}[" in e["message"] for name in INTERNAL)]
    assert not noisy, noisy[:5]


def test_a_refused_start_is_a_json_line_too(tmp_path):
    import os
    import subprocess
    import sys

    from scheduler_project.config import BASE_DIR

    bad = tmp_path / "bad.toml"
    bad.write_text('[api]\nworkers = "many"\n')
    result = subprocess.run([sys.executable, "manage.py", "serve", "--mode", "api", "--config", str(bad)], cwd=BASE_DIR,
                            env={**os.environ, "LOG_FORMAT": "json"}, capture_output=True, text=True, timeout=60)
    lines = [json.loads(line) for line in (result.stdout + result.stderr).splitlines()]
    assert result.returncode == 1
    assert lines[-1]["level"] == "CRITICAL" and "api.workers" in lines[-1]["message"] and lines[-1]["role"] == "api"
