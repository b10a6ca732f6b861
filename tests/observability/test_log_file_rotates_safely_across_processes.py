"""[observability] log_file with max_log_file_size_mb x max_log_files: several processes
writing one file rotate it together without losing, splitting or duplicating a line."""

import json
import os
import subprocess
import sys

from scheduler_project.config import BASE_DIR

PROCESSES, LINES = 4, 150
MAX_BYTES = int(0.05 * 1024 * 1024)  # 600 lines of ~230 bytes take 3 of the 6 files
SCRIPT = """
import logging, os, sys, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scheduler_project.settings")
django.setup()
log = logging.getLogger("rotation")
for i in range(int(sys.argv[2])):
    log.info("%s line %04d %s", sys.argv[1], i, "x" * 20)
"""


def _write(config, tag: str, lines: int) -> list[subprocess.Popen]:
    env = {**os.environ, "TASKPLANE_CONFIG": str(config), "LOG_FORMAT": "json"}
    return [subprocess.Popen([sys.executable, "-c", SCRIPT, f"{tag}{n}", str(lines)], cwd=BASE_DIR, env=env,
                             stderr=subprocess.DEVNULL) for n in range(PROCESSES)]


def _wait(procs):
    for proc in procs:
        assert proc.wait(timeout=120) == 0


def test_concurrent_writers_rotate_one_file_without_losing_lines(tmp_path):
    log_file = tmp_path / "logs" / "scheduler.log"  # the directory is created on start
    config = tmp_path / "taskplane.toml"
    config.write_text(f'[observability]\nlog_file = "{log_file}"\nmax_log_file_size_mb = 0.05\nmax_log_files = 5\n')
    _wait(_write(config, "p", LINES))

    files = sorted(log_file.parent.glob("scheduler.log*"))
    names = {f.name for f in files}
    assert "scheduler.log" in names and "scheduler.log.1" in names, names  # it did rotate
    assert names <= {"scheduler.log", *(f"scheduler.log.{i}" for i in range(1, 6))}, names
    messages = []
    for f in files:
        assert f.stat().st_size <= MAX_BYTES + 400, f  # at most one line past the limit
        messages += [json.loads(line)["message"] for line in f.read_text().splitlines()]  # whole lines only
    expected = sorted(f"p{n} line {i:04d} {'x' * 20}" for n in range(PROCESSES) for i in range(LINES))
    assert sorted(messages) == expected  # every line once: none lost, none twice

    _wait(_write(config, "q", LINES * 3))  # past what 1 + 5 files hold: the oldest go
    names = {f.name for f in log_file.parent.glob("scheduler.log*")}
    assert names == {"scheduler.log", *(f"scheduler.log.{i}" for i in range(1, 6))}, names
