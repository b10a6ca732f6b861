"""What a task runs, validated in one place: Task.clean() refuses a bad spec on save, and the
executors on the worker nodes read the same spec through the same functions, so a spec the
control plane accepted is never refused by a worker for its shape (only for what the node
itself lacks, such as a missing working directory).

Pure Python, no models: worker nodes import it without a database.

Errors name the field: {"spec.command": "must be a non-empty string", ...}.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

SHELL_KEYS = frozenset({"command", "argv", "env", "cwd"})
HTTP_KEYS = frozenset({"url", "method", "headers", "body", "expected_statuses", "timeout_seconds"})
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
TYPES = ("shell", "http")
# An environment variable name a shell can use: a shell spec's env names, and a run's parameter
# names (a shell command gets each as TP_PARAM_<NAME>, so "a b=c" would break its environment).
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
ENV_NAME_RULE = "letters, digits and _, not starting with a digit"


class SpecError(ValueError):
    """A spec the platform cannot run; `errors` maps each bad field to what is wrong with it."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))


def _str_map(value) -> bool:
    return isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())


def _has_nul(*values: str) -> bool:
    return any("\0" in v for v in values)


def _bad_env_name(names) -> str | None:
    """The first name that is not an environment variable name, or None."""
    return next((n for n in names if not (isinstance(n, str) and ENV_NAME.match(n))), None)


def params_errors(params) -> dict[str, str]:
    """A task's default parameters, or a trigger's or a replay's: an object whose names are
    environment variable names. The one check: Task.clean() and the trigger/replay services."""
    if not isinstance(params, dict):
        return {"params": "must be an object"}
    bad = _bad_env_name(params)
    if bad is not None:
        return {"params": f"parameter name {bad!r} is not an environment variable name ({ENV_NAME_RULE})"}
    return {}


def shell_errors(spec) -> dict[str, str]:
    if not isinstance(spec, dict):
        return {"spec": "must be an object"}
    errors = {}
    unknown = set(spec) - SHELL_KEYS
    if unknown:
        errors["spec"] = f"unknown shell spec keys: {', '.join(sorted(unknown))}"
    has_command, has_argv = spec.get("command") is not None, spec.get("argv") is not None
    if has_command == has_argv:
        errors["spec.command"] = "give exactly one of command (a string for /bin/sh -c) or argv (a list)"
    elif has_command:
        command = spec["command"]
        if not (isinstance(command, str) and command.strip()):
            errors["spec.command"] = "must be a non-empty string"
        elif _has_nul(command):
            errors["spec.command"] = "must not contain NUL characters"
    else:
        argv = spec["argv"]
        if not (isinstance(argv, list) and argv and all(isinstance(a, str) for a in argv) and argv[0]):
            errors["spec.argv"] = "must be a non-empty list of strings with a non-empty program"
        elif _has_nul(*argv):
            errors["spec.argv"] = "must not contain NUL characters"
    env = spec.get("env")
    if env is not None:
        if not _str_map(env):
            errors["spec.env"] = "must map names to string values"
        elif (bad := _bad_env_name(env)) is not None:
            errors["spec.env"] = f"{bad!r} is not an environment variable name ({ENV_NAME_RULE})"
        elif _has_nul(*env.values()):
            errors["spec.env"] = "must not contain NUL characters"
    cwd = spec.get("cwd")
    if cwd is not None:
        if not (isinstance(cwd, str) and cwd.startswith("/")):
            errors["spec.cwd"] = "must be an absolute path"
        elif _has_nul(cwd):
            errors["spec.cwd"] = "must not contain NUL characters"
    return errors


def http_errors(spec) -> dict[str, str]:
    if not isinstance(spec, dict):
        return {"spec": "must be an object"}
    errors = {}
    unknown = set(spec) - HTTP_KEYS - {"params"}  # params: a run's parameters, added on the worker
    if unknown:
        errors["spec"] = f"unknown http spec keys: {', '.join(sorted(unknown))}"
    url = spec.get("url")
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        errors["spec.url"] = "must be an absolute http:// or https:// URL"
    method = spec.get("method", "GET")
    if not isinstance(method, str) or method.upper() not in HTTP_METHODS:
        errors["spec.method"] = f"must be one of {', '.join(HTTP_METHODS)}"
    if spec.get("headers") is not None and not _str_map(spec["headers"]):
        errors["spec.headers"] = "must map header names to string values"
    body = spec.get("body")
    if body is not None and not isinstance(body, (str, dict, list)):
        errors["spec.body"] = "must be a string or a JSON object or list"
    statuses = spec.get("expected_statuses")
    if statuses is not None and not (
        isinstance(statuses, list) and statuses
        # bool is an int in Python: true/false are refused explicitly.
        and all(isinstance(s, int) and not isinstance(s, bool) and 100 <= s <= 599 for s in statuses)
    ):
        errors["spec.expected_statuses"] = "must be a non-empty list of HTTP status codes (100-599)"
    timeout = spec.get("timeout_seconds")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0):
        errors["spec.timeout_seconds"] = "must be a positive number"
    params = spec.get("params")
    if params is not None and not _str_map(params):
        errors["spec.params"] = "must map names to string values"
    return errors


VALIDATORS = {"shell": shell_errors, "http": http_errors}


def errors_of(task_type: str, spec) -> dict[str, str]:
    """Every problem of a spec for a task type; {} when it can run."""
    if task_type not in VALIDATORS:
        return {"type": f"must be one of {', '.join(TYPES)}"}
    return VALIDATORS[task_type](spec)


def _checked(task_type: str, spec) -> dict:
    errors = errors_of(task_type, spec)
    if errors:
        raise SpecError(errors)
    return spec


COMMAND_SHELL = "/bin/sh"  # a `command` runs as `/bin/sh -c <command>`


def shell_command(spec) -> tuple[list[str], dict[str, str], str | None]:
    """(argv, extra environment, cwd) of a valid shell spec; SpecError otherwise."""
    _checked("shell", spec)
    argv = [COMMAND_SHELL, "-c", spec["command"]] if spec.get("command") is not None else list(spec["argv"])
    return argv, dict(spec.get("env") or {}), spec.get("cwd")


def http_request(spec) -> dict:
    """The request of a valid http spec: method, url, headers, data (bytes or None), params,
    expected statuses (None: any 2xx) and its own timeout; SpecError otherwise."""
    _checked("http", spec)
    headers = dict(spec.get("headers") or {})
    body, data = spec.get("body"), None
    if isinstance(body, str):
        data = body.encode("utf-8")
    elif body is not None:
        data = json.dumps(body).encode("utf-8")
        if not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = "application/json"
    return {"method": spec.get("method", "GET").upper(), "url": spec["url"], "headers": headers, "data": data,
            "params": dict(spec.get("params") or {}), "expected": spec.get("expected_statuses"),
            "timeout": spec.get("timeout_seconds")}
