"""Read config/*.toml, substitute ${VAR:-default}, apply the seed's environment overrides.

Layering, lowest first:
  1. config/base.toml
  2. config/{ENVIRONMENT}.toml, or the file given by --config / TASKPLANE_CONFIG instead
  3. the environment variables of ENV_OVERRIDES

Every problem found on the way is collected (not raised one at a time), so that
`manage.py config validate` and a refused start-up can name all of them at once.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # scheduler_project/


def _project_dir() -> Path:
    """Where config/ and the data directory (var/) are: the source tree Taskplane runs from (a
    checkout, /app in the image, /opt/taskplane), or, for a package installed from a wheel
    (`pip install .`, the `taskplane` command), the directory it runs in."""
    source = PACKAGE_DIR.parent
    return source if (source / "config" / "base.toml").is_file() else Path.cwd()


BASE_DIR = _project_dir()
# config/*.toml of the project directory; an installed package without one uses the copies
# shipped inside it (pyproject.toml: scheduler_project.default_config).
CONFIG_DIR = BASE_DIR / "config" if (BASE_DIR / "config" / "base.toml").is_file() else PACKAGE_DIR / "default_config"
ENVIRONMENTS = ("development", "staging", "production")

# ${VAR} (required) or ${VAR:-default} (default used when VAR is unset or empty, as in sh).
PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def _json_value(raw: str) -> Any:
    return json.loads(raw)


def _comma_list(raw: str) -> list[str]:
    return [item.strip() for item in raw.split(",") if item.strip()]


# Environment variable -> (key path, parser). Parsing problems are reported with the
# variable's name, because that is what the operator has to fix.
ENV_OVERRIDES: dict[str, tuple[tuple[str, ...], Callable[[str], Any]]] = {
    "DATABASE_URL": (("database", "url"), str),
    "DATABASE_MAX_CONNECTIONS": (("database", "max_connections"), int),
    "MESSAGE_QUEUE_URL": (("message_queue", "url"), str),
    "MESSAGE_QUEUE_TYPE": (("message_queue", "type"), str),
    "REDIS_URL": (("scheduler", "phase2", "redis", "url"), str),
    "JWT_SECRET": (("api", "auth", "jwt_secret"), str),
    "API_KEYS": (("api", "auth", "api_keys"), _json_value),
    "LOG_FORMAT": (("observability", "log_format"), str),
    "LOG_LEVEL": (("observability", "log_level"), str),
    "HEALTH_PORT": (("observability", "health_port"), int),
    "INSTANCE_ID": (("scheduler", "phase2", "instance_id"), str),
    "WORKER_ID": (("worker", "worker_id"), str),
    "WORKER_TASK_TYPES": (("worker", "supported_task_types"), _comma_list),
    "WORKER_TAGS": (("worker", "tags"), _comma_list),
    "WORKER_MAX_CONCURRENT_TASKS": (("worker", "max_concurrent_tasks"), int),
    "DJANGO_SECRET_KEY": (("django", "secret_key"), str),
}


@dataclass
class Problem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass
class RawConfig:
    data: dict[str, Any]
    files: list[Path]
    environment: str
    problems: list[Problem] = field(default_factory=list)


def _deep_merge(low: dict, high: dict) -> dict:
    merged = dict(low)
    for key, value in high.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read_toml(path: Path, problems: list[Problem]) -> dict:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        problems.append(Problem(str(path), "file not found"))
    except tomllib.TOMLDecodeError as exc:
        problems.append(Problem(str(path), f"TOML syntax error: {exc}"))
    except OSError as exc:
        problems.append(Problem(str(path), f"cannot read: {exc}"))
    return {}


def _substitute(value: Any, path: str, env: dict[str, str], problems: list[Problem]) -> Any:
    if isinstance(value, dict):
        return {k: _substitute(v, f"{path}.{k}" if path else k, env, problems) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, f"{path}[{i}]", env, problems) for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match) -> str:
        name, default = match.group(1), match.group(2)
        current = env.get(name, "")
        if current:
            return current
        if default is not None:
            return default
        problems.append(Problem(path, f"environment variable {name} is not set (required by ${{{name}}})"))
        return ""

    return PLACEHOLDER.sub(replace, value)


def _set_path(data: dict, keys: tuple[str, ...], value: Any) -> None:
    node = data
    for key in keys[:-1]:
        node = node.setdefault(key, {})
        if not isinstance(node, dict):
            return  # the schema reports the wrong type at this path
    node[keys[-1]] = value


def _apply_env_overrides(data: dict, env: dict[str, str], problems: list[Problem]) -> None:
    for name, (keys, parse) in ENV_OVERRIDES.items():
        raw = env.get(name, "")
        if not raw:
            continue
        try:
            value = parse(raw)
        except (ValueError, json.JSONDecodeError) as exc:
            problems.append(Problem(".".join(keys), f"environment variable {name}={raw!r} is invalid: {exc}"))
            continue
        _set_path(data, keys, value)


def select_files(config_file: str | os.PathLike | None, env: dict[str, str]) -> tuple[list[Path], str, list[Problem]]:
    """The files to layer, in order, and the environment name they stand for."""
    problems: list[Problem] = []
    base = CONFIG_DIR / "base.toml"
    config_file = config_file or env.get("TASKPLANE_CONFIG") or None
    environment = env.get("ENVIRONMENT", "").strip()
    if config_file:
        path = Path(config_file)
        if not path.is_absolute():
            path = (Path.cwd() / path).resolve()
        if path.parent == CONFIG_DIR and path.stem in ENVIRONMENTS:
            environment = path.stem  # the file says which environment it is
        files = [base] if path == base else [base, path]
        return files, environment or "custom", problems
    if not environment:
        return [base], "base", problems
    if environment not in ENVIRONMENTS and not (CONFIG_DIR / f"{environment}.toml").is_file():
        problems.append(
            Problem("ENVIRONMENT", f"{environment!r} has no config/{environment}.toml (known: {', '.join(ENVIRONMENTS)})")
        )
        return [base], environment, problems
    return [base, CONFIG_DIR / f"{environment}.toml"], environment, problems


def read_raw(config_file: str | os.PathLike | None = None, env: dict[str, str] | None = None) -> RawConfig:
    env = dict(os.environ if env is None else env)
    files, environment, problems = select_files(config_file, env)
    data: dict[str, Any] = {}
    for path in files:
        data = _deep_merge(data, _read_toml(path, problems))
    data = _substitute(data, "", env, problems)
    _apply_env_overrides(data, env, problems)
    return RawConfig(data=data, files=files, environment=environment, problems=problems)
