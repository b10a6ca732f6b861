"""Taskplane configuration: config/*.toml plus the environment, validated in one place.

`load_config()` is the only entry: settings.py, `manage.py config validate` and the
start-up guard in every entry point (manage.py, celery, wsgi) call it.
"""

from __future__ import annotations

import difflib
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ValidationError

from .loader import BASE_DIR, CONFIG_DIR, Problem, RawConfig, label, read_raw
from .schema import TaskplaneConfig
from .seed import Mapped

__all__ = ["BASE_DIR", "CONFIG_DIR", "Config", "ConfigError", "Mapped", "Problem", "load_config", "load_config_or_exit"]


class ConfigError(Exception):
    def __init__(self, problems: list[Problem], files: list[Path]):
        self.problems = problems
        self.files = files
        super().__init__(format_problems(problems, files))


@dataclass
class Config:
    settings: TaskplaneConfig
    files: list[Path]
    environment: str
    # The old system's keys: those given a home here, and those that do not apply (with why).
    mapped: list[Mapped] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def instance_id(self) -> str:
        return self.settings.scheduler.phase2.instance_id or socket.gethostname()

    @property
    def worker_id(self) -> str:
        return self.settings.worker.worker_id or socket.gethostname()

    @property
    def data_dir(self) -> Path:
        path = Path(self.settings.embedded.data_dir)
        return path if path.is_absolute() else BASE_DIR / path

    @property
    def embedded_redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.settings.embedded.redis_port}"

    @property
    def redis_url(self) -> str:
        """Multi-instance state Redis (single mode)."""
        return self.settings.scheduler.phase2.redis.url or f"{self.embedded_redis_url}/0"

    @property
    def broker_url(self) -> str:
        mq = self.settings.message_queue
        if mq.url:
            return mq.url
        if mq.redis.host:
            return f"redis://{mq.redis.host}:{mq.redis.port}/{mq.redis.database}"
        return f"{self.embedded_redis_url}/1"

    def uses_embedded_redis(self, roles=("api", "dispatcher", "control", "worker")) -> bool:
        """Whether these roles need the embedded Redis: as their broker, or (all but worker
        nodes, which hold only a broker connection) for the multi-instance state."""
        p2 = self.settings.scheduler.phase2.redis
        state_embedded = p2.mode == "single" and not p2.url and any(r != "worker" for r in roles)
        return state_embedded or self.broker_url.startswith(self.embedded_redis_url)


def _suggest(key: str, model: type[BaseModel] | None) -> str:
    if model is None:
        return ""
    close = difflib.get_close_matches(key, list(model.model_fields), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _model_at(path: tuple) -> type[BaseModel] | None:
    """The section model that owns the last key of `path`, to suggest a spelling."""
    model: type[BaseModel] = TaskplaneConfig
    for part in path[:-1]:
        info = model.model_fields.get(part) if isinstance(part, str) else None
        annotation = getattr(info, "annotation", None)
        candidates = [annotation, *getattr(annotation, "__args__", ())]
        nested = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
        if not nested:
            return None
        model = nested[0]
    return model


def _problems_from(exc: ValidationError, raw: RawConfig) -> list[Problem]:
    problems = []
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        path = ".".join(str(p) for p in loc) or "(top level)"
        if error["type"] == "extra_forbidden":
            message = f"unknown key{_suggest(str(loc[-1]), _model_at(loc))}"
        else:
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] not in ("missing",) and "input" in error and not isinstance(error["input"], dict):
                message += f" (got {error['input']!r})"
        problems.append(Problem(path, message, raw.origin(loc)))
    return problems


def _across_sections(tp: TaskplaneConfig, raw: RawConfig) -> list[Problem]:
    """Rules that tie keys of two sections together."""
    problems = []
    mq, timeout = tp.message_queue, tp.scheduler.job_timeout_seconds
    if mq.type == "redis_stream" and timeout >= mq.redis.visibility_timeout_seconds:
        # Else every task saved with the default timeout would be refused (Task.clean says why).
        problems.append(Problem(
            "scheduler.job_timeout_seconds",
            f"must be below message_queue.redis.visibility_timeout_seconds ({mq.redis.visibility_timeout_seconds}), "
            f"got {timeout}", raw.origin(("scheduler", "job_timeout_seconds"))))
    return problems


def format_problems(problems: list[Problem], files: list[Path]) -> str:
    """Every problem with its key path and, in brackets, the file or variable to fix."""
    names = ", ".join(label(f) for f in files)
    lines = [f"Invalid configuration ({names}): {len(problems)} problem(s)"]
    lines += [f"  - {p.describe()}" for p in problems]
    return "\n".join(lines)


def load_config(config_file=None, env: dict[str, str] | None = None) -> Config:
    """The configuration: `config_file` is one --config file, several (a list), or None for
    TASKPLANE_CONFIG / ENVIRONMENT's file (loader.py has the layering)."""
    raw = read_raw(config_file, env)
    problems = list(raw.problems)
    try:
        settings = TaskplaneConfig.model_validate(raw.data)
    except ValidationError as exc:
        problems += _problems_from(exc, raw)
        settings = None
    if settings is not None:
        problems += _across_sections(settings, raw)
    if problems:
        raise ConfigError(problems, raw.files)
    return Config(settings=settings, files=raw.files, environment=raw.environment, mapped=raw.mapped,
                  warnings=raw.warnings)


_cached: Config | None = None


def get_config() -> Config:
    """The process-wide configuration, loaded once."""
    global _cached
    if _cached is None:
        _cached = load_config()
    return _cached


def load_config_or_exit() -> Config:
    """For entry points: a bad configuration is a clear message and exit 1, never a traceback."""
    try:
        return get_config()
    except ConfigError as exc:
        print(f"taskplane: {exc}", file=sys.stderr)
        print("Fix the keys above (or run `manage.py config validate`) and start again.", file=sys.stderr)
        raise SystemExit(1) from None
