"""LOG_FORMAT=json: one JSON object per line with level, instance_id, role, worker_id (on
worker nodes) and the engine's extra fields (task, run_id, attempt); pretty shows them too."""

import json
import os
import subprocess
import sys

from scheduler_project.config import BASE_DIR

SCRIPT = """
import logging, os, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scheduler_project.settings")
django.setup()
log = logging.getLogger("tasks_app.services.events")
log.info("run %s attempt %s ended %s", 7, 2, "failed", extra={"run_id": 7, "attempt": 2, "task": "nightly"})
try:
    1 / 0
except ZeroDivisionError:
    log.exception("sweep step %s failed", "retries")
"""


def _run(log_format: str) -> list[str]:
    env = {**os.environ, "LOG_FORMAT": log_format, "TASKPLANE_ROLE": "worker", "WORKER_ID": "w9",
           "INSTANCE_ID": "inst-json"}
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=BASE_DIR, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stderr.splitlines()


def test_json_lines_have_the_structured_fields():
    lines = [json.loads(line) for line in _run("json") if line.startswith("{")]
    info, error = lines[-2], lines[-1]
    assert info["message"] == "run 7 attempt 2 ended failed"
    assert {k: info[k] for k in ("level", "instance_id", "role", "worker_id", "task", "run_id", "attempt",
                                 "service", "name")} == {
        "level": "INFO", "instance_id": "inst-json", "role": "worker", "worker_id": "w9", "task": "nightly",
        "run_id": 7, "attempt": 2, "service": "taskplane", "name": "tasks_app.services.events"}
    assert "timestamp" in info
    assert error["level"] == "ERROR" and "ZeroDivisionError" in error["exc_info"]


def test_pretty_lines_show_the_fields_too():
    text = "\n".join(_run("pretty"))
    assert "INFO    [worker inst-json] tasks_app.services.events: run 7 attempt 2 ended failed " \
           "worker_id=w9 task=nightly run_id=7 attempt=2" in text
    assert "ERROR   [worker inst-json] tasks_app.services.events: sweep step retries failed worker_id=w9\n" \
           "Traceback" in text
