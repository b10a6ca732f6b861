"""LOGGING for settings.py: LOG_FORMAT json|pretty, level, optional rotating file (5 MB x 5).

Structured fields: every record carries instance_id and role (and worker_id on worker
nodes); every line written while a run is handled (a worker running its execution, the
control role applying its status event: scheduler_project.log_context) carries run_id,
task_id, task, attempt and worker_id; other lines may add them with `extra=`. The json
format emits every extra field; the pretty format appends the CONTEXT_FIELDS it finds.

Celery's routine lines go to DEBUG (RoutineCeleryLines): its "received" and "succeeded" for
each task message and beat's "Sending due task" would say two or three INFO lines a second
about sweeps and heartbeats, and "succeeded" about an execution whose run failed (the task
returned normally). What matters has a line of our own: a run's start and outcome on the
worker, its conclusion on the control role, a schedule's fire, a notification's delivery.
Celery's failures and retries keep their levels.

The log file is shared by every process of a machine that is configured with it (gunicorn
workers, Celery pool children, the roles of `serve --mode all`). The standard
RotatingFileHandler rotates per process, so two processes rotating at once lose or
overwrite each other's lines; ConcurrentRotatingFileHandler (concurrent-log-handler) takes
a lock file around each write and each rollover, so one file is safe across processes.
"""

import logging
from pathlib import Path

from celery.app.trace import LOG_RECEIVED, LOG_SUCCESS

from scheduler_project import log_context
from scheduler_project.config import BASE_DIR

# Extra fields the pretty format shows, in this order, when a record has them.
CONTEXT_FIELDS = ("worker_id", "task", "task_id", "run_id", "attempt", "status", "roles", "redis", "key_prefix")
# Celery's per-message lines (worker) and per-send line (beat), as their loggers get them.
ROUTINE_CELERY_LINES = frozenset({LOG_RECEIVED, LOG_SUCCESS, "Scheduler: Sending due task %s (%s)"})


class ContextFilter(logging.Filter):
    """Stamps every record with the process's instance and role, for json and pretty alike."""

    def __init__(self, instance_id: str, role: str, worker_id: str = ""):
        super().__init__()
        self.instance_id = instance_id
        self.role = role or "manage"
        self.worker_id = worker_id

    def filter(self, record: logging.LogRecord) -> bool:
        # A record's own fields (extra=) first, then the bound context's, then the process's.
        for name, value in log_context.current().items():
            if not hasattr(record, name):
                setattr(record, name, value)
        record.instance_id = getattr(record, "instance_id", self.instance_id)
        record.role = getattr(record, "role", self.role)
        if self.worker_id and not hasattr(record, "worker_id"):
            record.worker_id = self.worker_id
        return True


class RoutineCeleryLines(logging.Filter):
    """On Celery's trace, strategy and beat loggers: their routine INFO lines become DEBUG lines
    (kept only when the level is debug). Module docstring: why."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO or record.msg not in ROUTINE_CELERY_LINES:
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


class PrettyFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = " ".join(f"{name}={getattr(record, name)}" for name in CONTEXT_FIELDS if hasattr(record, name))
        if not fields:
            return text
        head, sep, tail = text.partition("\n")  # keep a traceback below the fields
        return f"{head} {fields}{sep}{tail}"


def log_file_path(log_file: str) -> Path:
    """A relative log_file is relative to the project directory, like [embedded] data_dir,
    so every process of a machine agrees on it whatever its working directory."""
    path = Path(log_file)
    return path if path.is_absolute() else BASE_DIR / path


def python_level(log_level: str) -> str:
    """[observability] log_level (the old system's names: trace, debug, info, warn, error) as a
    Python logging level."""
    return {"trace": "DEBUG", "warn": "WARNING"}.get(log_level, log_level.upper())


def build_logging(obs, instance_id: str, role: str, worker_id: str = "") -> dict:
    level = python_level(obs.log_level)
    formatter = "json" if obs.log_format == "json" else "pretty"
    handlers = {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": formatter,
            "filters": ["context"],
        }
    }
    if obs.log_file:
        path = log_file_path(obs.log_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        handlers["file"] = {
            "class": "concurrent_log_handler.ConcurrentRotatingFileHandler",
            "filename": str(path),
            "maxBytes": int(obs.max_log_file_size_mb * 1024 * 1024),
            "backupCount": obs.max_log_files,
            "formatter": formatter,
            "filters": ["context"],
        }
    fields = obs.log_fields
    static = {"service": fields.service_name}
    static.update({k: v for k, v in (("version", fields.service_version), ("environment", fields.environment)) if v})
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "context": {"()": ContextFilter, "instance_id": instance_id, "role": role, "worker_id": worker_id},
            "routine": {"()": RoutineCeleryLines},
        },
        "formatters": {
            "pretty": {
                "()": PrettyFormatter,
                "format": "%(asctime)s %(levelname)-7s [%(role)s %(instance_id)s] %(name)s: %(message)s",
            },
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(instance_id)s %(role)s",
                "rename_fields": {"levelname": "level", "asctime": "timestamp"},
                "static_fields": static,
            },
        },
        "handlers": handlers,
        "root": {"handlers": list(handlers), "level": level},
        "loggers": {
            "django.db.backends": {"level": "INFO"},
            "celery": {"level": level},
            **{name: {"filters": ["routine"]} for name in ("celery.app.trace", "celery.worker.strategy", "celery.beat")},
        },
    }


def say_as_log_line(msg: str, f=None) -> None:
    """Stands in for celery.apps.worker.safe_say under LOG_FORMAT=json (the worker's shutdown and
    Ctrl+C notes, written from its signal handlers straight to a stream): the same note as a
    line of the console handler's format. Like safe_say it takes no lock (a signal handler may
    interrupt a thread that holds the handler's): it formats and writes the stream itself."""
    import sys

    record = logging.LogRecord("celery.apps.worker", logging.INFO, __file__, 0, str(msg), None, None)
    handlers = [h for h in logging.getLogger().handlers if isinstance(h, logging.StreamHandler)]
    stream = f or sys.__stderr__
    try:
        if handlers and handlers[0].filter(record):
            stream.write(handlers[0].format(record) + "\n")
        else:
            stream.write(f"{msg}\n")
        stream.flush()
    except Exception:  # noqa: BLE001,S110  as safe_say: a note that cannot be written is dropped
        pass
