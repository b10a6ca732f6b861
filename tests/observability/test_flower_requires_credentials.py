"""`manage.py flower`: refuses to start without FLOWER_BASIC_AUTH; started, it answers 401
without credentials and 200 with them, and the password is not on its command line."""

import os
import subprocess
import sys

import psutil
import pytest
import requests

from scheduler_project.config import BASE_DIR
from tests.services import free_port
from tests.support.processes import MANAGE, reap, wait_for

pytestmark = pytest.mark.e2e
CREDENTIALS = ("ops", "flower-secret-123")


def test_it_refuses_to_start_without_credentials():
    env = {k: v for k, v in os.environ.items() if k != "FLOWER_BASIC_AUTH"}
    result = subprocess.run([sys.executable, MANAGE, "flower"], cwd=BASE_DIR, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode != 0
    assert "refusing to start Flower without authentication" in result.stderr


def test_it_refuses_a_malformed_or_short_password():
    for value, reason in (("justuser", "must be user:password"), ("ops:short", "shorter than 8 characters")):
        result = subprocess.run([sys.executable, MANAGE, "flower"], cwd=BASE_DIR, capture_output=True, text=True,
                                env={**os.environ, "FLOWER_BASIC_AUTH": value}, timeout=60)
        assert result.returncode != 0
        assert reason in result.stderr


def test_it_serves_only_with_credentials(tmp_path):
    port = free_port()
    log = (tmp_path / "flower.log").open("wb")
    env = {**os.environ, "FLOWER_BASIC_AUTH": ":".join(CREDENTIALS), "FLOWER_USER": "ignored-compose-variable"}
    process = subprocess.Popen([sys.executable, MANAGE, "flower", "--port", str(port)], cwd=BASE_DIR, env=env,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}/"

        def answer(**kwargs):
            try:
                return requests.get(url, timeout=3, **kwargs)
            except requests.RequestException:
                return None

        # A Response is falsy for 4xx: wait for "any answer", not for a truthy one.
        anonymous = wait_for(lambda: [answer()] if answer() is not None else None, 60,
                             f"Flower to answer\n{(tmp_path / 'flower.log').read_text()[-2000:]}")[0]
        assert anonymous.status_code == 401
        assert answer(auth=("ops", "wrong-password")).status_code == 401
        assert answer(auth=CREDENTIALS).status_code == 200
        assert CREDENTIALS[1] not in " ".join(psutil.Process(process.pid).cmdline())
    finally:
        reap(process)
