"""gunicorn settings and hooks for the api role (roles.api_argv: --config python:scheduler_project.gunicorn_conf).

Command-line options win over these; only what the command line cannot express is here.
"""

import os
from pathlib import Path

# The default format plus the request time and the answering worker's pid (<1234>), so a
# misbehaving worker can be told apart from its siblings.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms %(p)s'


def _multiprocess_dir() -> Path | None:
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return Path(path) if path else None


def on_starting(server):
    """The master starts: files left by a previous run's workers describe processes that are
    gone, and prometheus_client's multiprocess mode needs an empty directory to start from."""
    path = _multiprocess_dir()
    if path:
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink(missing_ok=True)


def child_exit(server, worker):
    """A worker is gone: drop its live gauges (its counters stay: totals never go back)."""
    if _multiprocess_dir():
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker):
    from scheduler_project.lifecycle_log import announce_redis

    announce_redis()
