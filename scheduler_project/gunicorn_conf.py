"""gunicorn settings and hooks for the api role (roles.api_argv: --config python:scheduler_project.gunicorn_conf).

Command-line options win over these; only what the command line cannot express is here.
"""

import logging.config
import os
from pathlib import Path

from gunicorn import glogging

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


def _config():
    from scheduler_project.config import load_config

    return load_config()


class JsonLogger(glogging.Logger):
    """LOG_FORMAT=json: gunicorn's error and access logs go through the project's logging (one
    JSON object a line, with instance_id and role), the access line with its fields (method,
    path, status, duration_ms...) as keys. The master never loads Django's settings (there is
    no preload), so its logging is configured here from the same config."""

    def setup(self, cfg):
        super().setup(cfg)
        from scheduler_project.logging_config import build_logging

        for logger in (self.error_log, self.access_log):
            for handler in [h for h in logger.handlers if getattr(h, "_gunicorn", False)]:
                logger.removeHandler(handler)
            logger.propagate = True
        config = _config()
        role = os.environ.get("TASKPLANE_ROLE") or "api"
        logging.config.dictConfig(build_logging(config.settings.observability, config.instance_id, role))

    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        try:
            status = int(str(atoms["s"]).split(None, 1)[0])
        except ValueError:
            status = atoms["s"]
        fields = {
            "remote_addr": atoms["h"], "method": atoms["m"], "path": atoms["U"], "query": atoms["q"] or "",
            "status": status, "bytes": atoms["B"], "duration_ms": atoms["M"], "referer": atoms["f"],
            "user_agent": atoms["a"], "pid": os.getpid(),
        }
        self.access_log.info("%s %s %s", atoms["m"], atoms["U"], status, extra=fields)


if _config().settings.observability.log_format == "json":
    logger_class = JsonLogger
