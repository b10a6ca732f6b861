"""Every entry point stops on a bad configuration with the validator's message, not a traceback."""

import os
import subprocess
import sys

import pytest

from scheduler_project.config import BASE_DIR


@pytest.fixture
def broken_env(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[worker]\nmax_concurent_tasks = 4\n")
    return {**os.environ, "TASKPLANE_CONFIG": str(bad)}


@pytest.mark.parametrize(
    "argv",
    [
        [sys.executable, "manage.py", "check"],
        [sys.executable, "manage.py", "serve", "--mode", "api"],
        [sys.executable, "-m", "celery", "-A", "scheduler_project", "worker", "--pool", "solo"],
        [sys.executable, "-c", "import scheduler_project.wsgi"],
    ],
    ids=["manage.py", "serve", "celery", "wsgi"],
)
def test_entry_point_names_the_bad_key_and_exits_1(broken_env, argv):
    result = subprocess.run(argv, cwd=BASE_DIR, env=broken_env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "worker.max_concurent_tasks: unknown key (did you mean 'max_concurrent_tasks'?)" in result.stderr
    assert "Traceback" not in result.stderr
