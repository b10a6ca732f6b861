"""A counter incremented in several processes (and several threads of each) appears once,
exactly, in a scrape: the count lives in Redis, not in any process."""

import os
import subprocess
import sys

import pytest

from scheduler_project.config import BASE_DIR
from tests.observability.helpers import scrape_platform

PROCESSES, THREADS, EACH = 4, 4, 50
SCRIPT = f"""
import os, threading, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scheduler_project.settings")
django.setup()
from scheduler_project.metrics import counters, incr, observe

def work():
    for i in range({EACH}):
        incr("tasks_executed_total", {{"task_type": "shell", "status": "succeeded"}})
        observe("task_execution_duration_seconds", {{"task_type": "shell"}}, 0.3 if i % 2 else 45)

threads = [threading.Thread(target=work) for _ in range({THREADS})]
[t.start() for t in threads]
[t.join() for t in threads]
assert counters.pending_fields() == 0, "something was not written"
"""


def test_increments_from_four_processes_of_four_threads_sum_exactly(redis_prefix, tmp_path):
    config = tmp_path / "taskplane.toml"
    config.write_text(f'[scheduler.phase2.redis]\nkey_prefix = "{redis_prefix}"\n')
    env = {**os.environ, "TASKPLANE_CONFIG": str(config), "DJANGO_SETTINGS_MODULE": "scheduler_project.settings"}
    procs = [subprocess.Popen([sys.executable, "-c", SCRIPT], cwd=BASE_DIR, env=env,
                              stderr=subprocess.PIPE, text=True) for _ in range(PROCESSES)]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err

    total = PROCESSES * THREADS * EACH
    found = scrape_platform()
    assert found[("tasks_executed_total", (("status", "succeeded"), ("task_type", "shell")))] == total
    hist = {labels: v for (name, labels), v in found.items() if name == "task_execution_duration_seconds_bucket"}
    assert hist[(("le", "0.1"), ("task_type", "shell"))] == 0
    assert hist[(("le", "0.5"), ("task_type", "shell"))] == total / 2  # buckets are cumulative
    assert hist[(("le", "30.0"), ("task_type", "shell"))] == total / 2
    assert hist[(("le", "60.0"), ("task_type", "shell"))] == total
    assert hist[(("le", "+Inf"), ("task_type", "shell"))] == total
    assert found[("task_execution_duration_seconds_count", (("task_type", "shell"),))] == total
    total_seconds = found[("task_execution_duration_seconds_sum", (("task_type", "shell"),))]
    assert total_seconds == pytest.approx((0.3 + 45) * total / 2)
