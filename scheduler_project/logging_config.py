"""LOGGING for settings.py: LOG_FORMAT json|pretty, level, optional rotating file (5 MB x 5).

Structured fields: every record carries instance_id and role (and worker_id on worker
nodes); engine log lines add worker_id, task, run_id and attempt with `extra=`. The json
format emits every extra field; the pretty format appends the CONTEXT_FIELDS it finds.

The log file is shared by every process of a machine that is configured with it (gunicorn
workers, Celery pool children, the roles of `serve --mode all`). The standard
RotatingFileHandler rotates per process, so two processes rotating at once lose or
overwrite each other's lines; ConcurrentRotatingFileHandler (concurrent-log-handler) takes
a lock file around each write and each rollover, so one file is safe across processes.
"""

import logging
from pathlib import Path

from scheduler_project.config import BASE_DIR

# Extra fields the pretty format shows, in this order, when a record has them.
CONTEXT_FIELDS = ("worker_id", "task", "run_id", "attempt", "roles", "redis", "key_prefix")


class ContextFilter(logging.Filter):
    """Stamps every record with the process's instance and role, for json and pretty alike."""

    def __init__(self, instance_id: str, role: str, worker_id: str = ""):
        super().__init__()
        self.instance_id = instance_id
        self.role = role or "manage"
        self.worker_id = worker_id

    def filter(self, record: logging.LogRecord) -> bool:
        record.instance_id = getattr(record, "instance_id", self.instance_id)
        record.role = getattr(record, "role", self.role)
        if self.worker_id and not hasattr(record, "worker_id"):
            record.worker_id = self.worker_id
        return True


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
        },
    }
