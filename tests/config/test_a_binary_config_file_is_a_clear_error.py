"""A configuration file that is not UTF-8 text (a binary file by mistake) is a problem named
with its file, in `config validate` and at start-up, not a UnicodeDecodeError traceback."""

import os
import subprocess
import sys

import pytest

from scheduler_project.config import BASE_DIR


@pytest.fixture
def binary_file(tmp_path):
    path = tmp_path / "binary.toml"
    path.write_bytes(b"\xff\xfe\x00[api]\n\x89PNG\r\n\x1a\n" + bytes(range(256)))
    return path


def _run(argv, env):
    return subprocess.run(argv, cwd=BASE_DIR, env={**os.environ, **env}, capture_output=True, text=True, timeout=60)


def test_config_validate_names_the_file(binary_file):
    result = _run([sys.executable, "manage.py", "config", "validate", "--file", str(binary_file)], {})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "binary.toml" in result.stderr and "not a TOML text file" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_serve_names_the_file(binary_file):
    result = _run([sys.executable, "manage.py", "serve", "--mode", "api"], {"TASKPLANE_CONFIG": str(binary_file)})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "not a TOML text file" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
