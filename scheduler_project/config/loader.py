"""Read config/*.toml, substitute ${VAR:-default}, apply the seed's environment overrides.

Layering, lowest first (each layer overrides the keys it gives):
  1. config/base.toml
  2. the split files config/auth.toml, config/security.toml, config/timeouts.toml, in that
     order, those that exist (the first guide's layout; any keys may go in any of them)
  3. config/{ENVIRONMENT}.toml
  4. the --config files (several: `--config A --config B`, or TASKPLANE_CONFIG="A:B"), in order.
     They replace layer 3: a worker node's file must not bring in production.toml, which
     requires the control plane's database and secrets. A --config file that is
     config/<environment>.toml is layer 3 itself, and names the environment.
  5. the environment variables of ENV_OVERRIDES (and RUST_LOG, the old system's)

Each file's keys of the old system are translated first (seed.py), so layering applies to
both names alike. Every key remembers the file (or variable) it came from, so a problem
names where to fix it. Every problem found on the way is collected (not raised one at a
time), so that `manage.py config validate` and a refused start-up can name all at once.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import seed

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
SPLIT_FILES = ("auth.toml", "security.toml", "timeouts.toml")

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
    """A problem (or, in Config.warnings, a key that does not apply) at a key path, with the
    file or environment variable the key came from ("" when it is nobody's: a default)."""

    path: str
    message: str
    source: str = ""

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"

    def describe(self) -> str:
        return f"{self}  [{self.source}]" if self.source else str(self)


@dataclass
class RawConfig:
    data: dict[str, Any]
    files: list[Path]
    environment: str
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    mapped: list[seed.Mapped] = field(default_factory=list)
    # key path -> where its value came from: a file, "environment variable X"
    origins: dict[tuple[str, ...], str] = field(default_factory=dict)

    def origin(self, path: tuple) -> str:
        """Where the value at `path` came from. For a section (a rule across its keys failed):
        every source of a key in it. Else the source of the nearest section above that has one."""
        parts = tuple(str(p) for p in path)
        below = [source for key, source in self.origins.items() if key[:len(parts)] == parts and len(key) > len(parts)]
        if parts in self.origins and not below:
            return self.origins[parts]
        if below:
            return ", ".join(dict.fromkeys(below))
        for depth in range(len(parts) - 1, 0, -1):
            if parts[:depth] in self.origins:
                return self.origins[parts[:depth]]
        return ""


def label(path: Path) -> str:
    """A file as messages name it: relative to the project when it is in it."""
    return str(path.relative_to(BASE_DIR)) if path.is_relative_to(BASE_DIR) else str(path)


def _record_origins(data: dict, source: str, origins: dict, prefix: tuple = ()) -> None:
    for key, value in data.items():
        path = (*prefix, str(key))
        origins[path] = source
        if isinstance(value, dict):
            _record_origins(value, source, origins, path)


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
    except UnicodeDecodeError as exc:  # a binary file, or another encoding: TOML is UTF-8
        problems.append(Problem(str(path), f"not a TOML text file: byte {exc.start} is not UTF-8"))
    except OSError as exc:
        problems.append(Problem(str(path), f"cannot read: {exc}"))
    return {}


def _show(path: tuple) -> str:
    """("a", "b", 0) -> "a.b[0]"."""
    shown = ""
    for part in path:
        shown += f"[{part}]" if isinstance(part, int) else (f".{part}" if shown else str(part))
    return shown


def _substitute(value: Any, path: tuple, env: dict[str, str], raw: RawConfig) -> Any:
    if isinstance(value, dict):
        return {k: _substitute(v, (*path, k), env, raw) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, (*path, i), env, raw) for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match) -> str:
        name, default = match.group(1), match.group(2)
        current = env.get(name, "")
        if current:
            return current
        if default is not None:
            return default
        raw.problems.append(Problem(_show(path), f"environment variable {name} is not set (required by ${{{name}}})",
                                    raw.origin(path)))
        return ""

    return PLACEHOLDER.sub(replace, value)


def _set_path(data: dict, keys: tuple[str, ...], value: Any) -> None:
    node = data
    for key in keys[:-1]:
        node = node.setdefault(key, {})
        if not isinstance(node, dict):
            return  # the schema reports the wrong type at this path
    node[keys[-1]] = value


def _apply_env_overrides(data: dict, env: dict[str, str], raw: RawConfig) -> None:
    _apply_rust_log(data, env, raw)  # before LOG_LEVEL, which wins
    for name, (keys, parse) in ENV_OVERRIDES.items():
        text = env.get(name, "")
        if not text:
            continue
        source = f"environment variable {name}"
        try:
            value = parse(text)
        except (ValueError, json.JSONDecodeError) as exc:
            raw.problems.append(Problem(".".join(keys), f"environment variable {name}={text!r} is invalid: {exc}", source))
            continue
        _set_path(data, keys, value)
        _forget_below(raw.origins, keys)
        raw.origins[keys] = source


def _forget_below(origins: dict, keys: tuple) -> None:
    for path in [p for p in origins if p[:len(keys)] == keys and len(p) > len(keys)]:
        del origins[path]


def _apply_rust_log(data: dict, env: dict[str, str], raw: RawConfig) -> None:
    """RUST_LOG, the old system's log filter: its most verbose level becomes log_level."""
    text = env.get("RUST_LOG", "").strip()
    if not text:
        return
    source = "environment variable RUST_LOG"
    level, notes = seed.rust_log_level(text)
    for note in notes:
        raw.warnings.append(Problem("RUST_LOG", note, source))
    if level is None:
        return
    keys = ("observability", "log_level")
    _set_path(data, keys, level)
    raw.origins[keys] = source
    raw.mapped.append(seed.Mapped(f"RUST_LOG={text}", "observability.log_level", level, source))


def config_files(config_file) -> list[str]:
    """--config / TASKPLANE_CONFIG as a list: one path, several, or one string of paths
    separated by os.pathsep (":" on Linux)."""
    if not config_file:
        return []
    items = [config_file] if isinstance(config_file, (str, os.PathLike)) else list(config_file)
    return [part for item in items for part in str(item).split(os.pathsep) if part.strip()]


def _absolute(name: str) -> Path:
    path = Path(name)
    return path if path.is_absolute() else (Path.cwd() / path).resolve()


def select_files(config_file, env: dict[str, str]) -> tuple[list[Path], str, list[Problem]]:
    """The files to layer, in order, and the environment name they stand for."""
    problems: list[Problem] = []
    base = CONFIG_DIR / "base.toml"
    files = [base] + [CONFIG_DIR / name for name in SPLIT_FILES if (CONFIG_DIR / name).is_file()]
    given = [_absolute(name) for name in config_files(config_file or env.get("TASKPLANE_CONFIG"))]
    environment = env.get("ENVIRONMENT", "").strip()
    if given:
        for path in given:
            if path.parent == CONFIG_DIR and path.stem in ENVIRONMENTS:
                environment = path.stem  # the file says which environment it is
            if path not in files:
                files.append(path)
        return files, environment or "custom", problems
    if not environment:
        return files, "base", problems
    if environment not in ENVIRONMENTS and not (CONFIG_DIR / f"{environment}.toml").is_file():
        problems.append(
            Problem("ENVIRONMENT", f"{environment!r} has no config/{environment}.toml (known: {', '.join(ENVIRONMENTS)})",
                    "environment variable ENVIRONMENT")
        )
        return files, environment, problems
    return [*files, CONFIG_DIR / f"{environment}.toml"], environment, problems


def read_raw(config_file=None, env: dict[str, str] | None = None) -> RawConfig:
    env = dict(os.environ if env is None else env)
    files, environment, problems = select_files(config_file, env)
    raw = RawConfig(data={}, files=files, environment=environment, problems=problems)
    for path in files:
        source = label(path)
        before = len(raw.problems)
        file_data = _read_toml(path, raw.problems)
        for problem in raw.problems[before:]:
            problem.source = source
        translated = seed.translate(file_data, raw.data, source)
        raw.mapped += translated.mapped
        raw.warnings += [Problem(key, f"ignored: {reason}", source) for key, reason in translated.ignored]
        raw.problems += [Problem(key, message, source) for key, message in translated.problems]
        _record_origins(translated.data, source, raw.origins)
        for mapped in translated.mapped:  # _record_origins wrote the plain file name over these
            raw.origins[tuple(mapped.key.split("."))] = f"{source} (as {mapped.seed_key})"
        raw.data = _deep_merge(raw.data, translated.data)
    raw.data = _substitute(raw.data, (), env, raw)
    _apply_env_overrides(raw.data, env, raw)
    return raw
