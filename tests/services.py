"""pytest plugin (loaded with -p, before Django settings): the services the tests talk to.

With REDIS_URL / MESSAGE_QUEUE_URL set (CI against the machine's Redis and RabbitMQ) they
are used as given. Unset (the embedded defaults), each test process starts its own real
embedded redis-server on a free port and points both variables at it, so settings, the
test process and every child process it starts agree on one server.
"""

import atexit
import os
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

_embedded: subprocess.Popen | None = None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop_embedded() -> None:
    if _embedded and _embedded.poll() is None:
        _embedded.terminate()
        try:
            _embedded.wait(timeout=10)
        except subprocess.TimeoutExpired:
            _embedded.kill()


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    global _embedded
    broker_is_redis = os.environ.get("MESSAGE_QUEUE_TYPE", "redis_stream") == "redis_stream"
    need_state = not os.environ.get("REDIS_URL")
    need_broker = broker_is_redis and not os.environ.get("MESSAGE_QUEUE_URL")
    if not (need_state or need_broker):
        return
    from scheduler_project import embedded
    from scheduler_project.supervisor import _die_with_parent

    port = free_port()
    data_dir = Path(tempfile.mkdtemp(prefix="taskplane-test-redis-"))
    _embedded = subprocess.Popen(embedded.server_argv(port, data_dir), preexec_fn=_die_with_parent)
    atexit.register(_stop_embedded)
    embedded.wait_until_answering(port, process=_embedded)
    if need_state:
        os.environ["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
    if need_broker:
        os.environ["MESSAGE_QUEUE_URL"] = f"redis://127.0.0.1:{port}/1"
    os.environ["TASKPLANE_TEST_EMBEDDED_REDIS"] = str(port)


def pytest_report_header(config):
    return [
        f"taskplane: database {os.environ.get('DATABASE_URL') or 'embedded SQLite'}, "
        f"broker {os.environ.get('MESSAGE_QUEUE_TYPE', 'redis_stream')} at {os.environ.get('MESSAGE_QUEUE_URL')}, "
        f"redis {os.environ.get('REDIS_URL')}"
        + (" (embedded)" if os.environ.get("TASKPLANE_TEST_EMBEDDED_REDIS") else "")
    ]


def pytest_unconfigure(config):
    _stop_embedded()
