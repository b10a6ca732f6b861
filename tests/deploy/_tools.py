"""Shared helpers for the deployment checks (plain pytest, no Django, no database)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
ON_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing(what: str) -> None:
    """A required tool or module is absent: fail on CI, skip on a developer machine."""
    message = f"{what} is missing: run .ci/install-deploy-tools.sh and pip install -r requirements/deploy-check.txt"
    if ON_CI:
        pytest.fail(message)
    pytest.skip(message)


def require_tool(name: str) -> str:
    path = shutil.which(name) or next(
        (str(p) for p in (Path("/usr/sbin") / name, Path("/sbin") / name) if p.is_file()), None
    )
    if not path:
        missing(f"the `{name}` command")
    return path


def require_module(name: str):
    if importlib.util.find_spec(name) is None:
        missing(f"the Python module `{name}`")
    return __import__(name)


def run(argv: list[str], timeout: float = 60, **kwargs) -> subprocess.CompletedProcess:
    """Run a command with a deadline; stdout and stderr together as text."""
    return subprocess.run(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout, check=False, **kwargs
    )


def load_yaml(path: Path, all_documents: bool = False):
    yaml = require_module("yaml")
    text = Path(path).read_text()
    if all_documents:
        return [doc for doc in yaml.safe_load_all(text) if doc is not None]
    return yaml.safe_load(text)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
