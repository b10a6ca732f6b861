"""The keys of the old system's files (the two deployment guides) that are not our own keys.

Every key of both guides is either one of ours (schema.py), an alias with a home here
(ALIASES, [server]), or answered as not applying here (NOT_APPLICABLE, with the reason).
An alias is moved to its key and listed as mapped; a key that does not apply is dropped
with a warning that names it, its file and why. Neither refuses the file: only keys that
are in none of these tables are errors (with a did-you-mean).

Aliases are translated file by file, before the files are layered, so that a later file
overrides an earlier one whichever of the two names each uses. Within one file, an alias
and its key with different values are a problem: which one was meant cannot be guessed.

RUST_LOG (the old system's log filter, env_logger syntax) becomes [observability] log_level:
the most verbose level it names. LOG_LEVEL, ours, wins when both are set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .secrets import redact_url

# Seed key -> our key. The value moves unchanged.
ALIASES: dict[tuple[str, ...], tuple[str, ...]] = {
    # The first guide's "configuration files use environment variables" example, at top level.
    ("database_url",): ("database", "url"),
    ("worker_id",): ("worker", "worker_id"),
    # The second guide's [scheduler] section: one fact, one key; ours are in [worker].
    ("scheduler", "max_concurrent_jobs_per_node"): ("worker", "max_concurrent_tasks"),
    ("scheduler", "heartbeat_interval_seconds"): ("worker", "heartbeat_interval_seconds"),
}

# [server] host / port (second guide) -> [api] bind_address "host:port"; either may be alone.
SERVER = ("server",)
BIND_ADDRESS = ("api", "bind_address")

# Seed key (or whole section) -> why it does not apply here.
NOT_APPLICABLE: dict[tuple[str, ...], str] = {
    ("model_hub",): "Taskplane runs shell commands and HTTP calls; there is no model hub to fetch models from",
    ("database", "query_cache_size"): (
        "there is no query result cache here (Django does not cache query results and PostgreSQL has no query "
        "cache); size PostgreSQL's own shared_buffers instead"
    ),
    ("message_queue", "redis", "max_stream_length"): (
        "the broker's queues are never trimmed here: trimming would drop queued runs (guarantee 7); the Redis "
        "streams that are trimmed are the instance inboxes, at [scheduler.phase2] stream_maxlen"
    ),
    ("message_queue", "redis", "consumer_group_size"): (
        "consumers are Celery worker processes: [worker] max_concurrent_tasks per node, times the nodes"
    ),
    ("dispatcher", "max_concurrent_dispatches"): (
        "runs are published one by one after their transaction commits, not by a pool of dispatchers"
    ),
    ("worker", "task_poll_interval_seconds"): (
        "workers do not poll: the broker pushes executions to them ([message_queue] prefetch_count)"
    ),
    ("scheduler", "phase2", "node_snapshot", "enabled"): (
        "node snapshots are how heartbeats reach the registry here, so they are always on"
    ),
    ("scheduler", "phase2", "node_snapshot", "refresh_interval_ms"): (
        "a node's snapshot is refreshed by each of its heartbeats: [worker] heartbeat_interval_seconds"
    ),
}


@dataclass
class Mapped:
    """An old key given a home here: `seed_key = value` became `key = value`."""

    seed_key: str
    key: str
    value: Any
    source: str

    def __str__(self) -> str:
        return f"{self.seed_key} -> {self.key} = {shown(self.value)}  [{self.source}]"


@dataclass
class Translated:
    data: dict
    mapped: list[Mapped] = field(default_factory=list)
    ignored: list[tuple[str, str]] = field(default_factory=list)  # (key path, reason)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (key path, message)


def _pop(data: dict, path: tuple[str, ...]) -> tuple[bool, Any]:
    node = data
    for part in path[:-1]:
        node = node.get(part)
        if not isinstance(node, dict):
            return False, None
    if path[-1] not in node:
        return False, None
    return True, node.pop(path[-1])


def _get(data: dict, path: tuple[str, ...]) -> tuple[bool, Any]:
    node: Any = data
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return False, None
        node = node[part]
    return True, node


def _set(data: dict, path: tuple[str, ...], value: Any) -> None:
    node = data
    for part in path[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            return  # the schema reports the wrong type at this path
    node[path[-1]] = value


def _leaves(value: Any, path: tuple[str, ...]) -> list[tuple[str, ...]]:
    if isinstance(value, dict) and value:
        return [leaf for key, item in value.items() for leaf in _leaves(item, (*path, key))]
    return [path]


def dotted(path: tuple[str, ...]) -> str:
    return ".".join(path)


def shown(value: Any) -> str:
    return repr(redact_url(value)) if isinstance(value, str) else repr(value)


def translate(data: dict, below: dict, source: str) -> Translated:
    """One file's keys in our names. `below` is what the files before it gave (for a [server]
    that names only its host or its port). `data` is changed in place and returned."""
    out = Translated(data)
    for path, reason in NOT_APPLICABLE.items():
        found, value = _pop(data, path)
        if found:
            out.ignored += [(dotted(leaf), reason) for leaf in _leaves(value, path)]
    for seed_path, key in ALIASES.items():
        found, value = _pop(data, seed_path)
        if not found:
            continue
        already, current = _get(data, key)
        if already and current != value:
            out.problems.append((dotted(seed_path), f"{shown(value)} disagrees with {dotted(key)} = {shown(current)} "
                                                     f"in the same file (they are one key here): keep one"))
            continue
        _set(data, key, value)
        out.mapped.append(Mapped(dotted(seed_path), dotted(key), value, source))
    _translate_server(data, below, source, out)
    return out


def _translate_server(data: dict, below: dict, source: str, out: Translated) -> None:
    server = data.get("server")
    if not isinstance(server, dict):
        return  # absent, or not a table: the schema names it as an unknown key
    del data["server"]
    for extra in sorted(set(server) - {"host", "port"}):
        out.problems.append((f"server.{extra}", "unknown key ([server] host and port are its only keys here)"))
    host_given, port_given = "host" in server, "port" in server
    if not (host_given or port_given):
        return
    _, own = _get(data, BIND_ADDRESS)
    _, earlier = _get(below, BIND_ADDRESS)
    current = own if isinstance(own, str) else earlier if isinstance(earlier, str) else "127.0.0.1:8000"
    old_host, _, old_port = current.rpartition(":")
    host = server["host"] if host_given else old_host
    port = server["port"] if port_given else old_port
    if isinstance(host, str) and ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address in host:port form
    value = f"{host}:{port}"
    given = " and ".join(k for k, g in (("server.host", host_given), ("server.port", port_given)) if g)
    if isinstance(own, str) and own != value:
        out.problems.append(("server", f"{given} give {value!r}, which disagrees with api.bind_address = {own!r} "
                                       f"in the same file (they are one key here): keep one"))
        return
    _set(data, BIND_ADDRESS, value)
    out.mapped.append(Mapped(given, dotted(BIND_ADDRESS), value, source))


# --- RUST_LOG
RUST_LEVELS = ("trace", "debug", "info", "warn", "error", "off")  # most verbose first
OUR_LEVEL = {"trace": "trace", "debug": "debug", "info": "info", "warn": "warn", "error": "error", "off": "critical"}


def rust_log_level(value: str) -> tuple[str | None, list[str]]:
    """RUST_LOG's most verbose level, as our log_level, and notes on what could not be read.

    env_logger's syntax: comma-separated directives, each `level`, `target=level` or a bare
    `target` (which enables every level for it), optionally followed by `/regex`.
    `info` -> info; `scheduler=debug,tower=info` -> debug; `off` -> critical."""
    found: list[str] = []
    notes: list[str] = []
    spec = value.split("/", 1)[0]
    for directive in (d.strip() for d in spec.split(",")):
        if not directive:
            continue
        target, sep, level = directive.partition("=")
        level = (level if sep else target).strip().lower()
        if level in RUST_LEVELS:
            found.append(level)
        elif sep:
            notes.append(f"{directive!r}: {level!r} is not a level ({', '.join(RUST_LEVELS)}); directive ignored")
        else:
            found.append("trace")
            notes.append(f"{directive!r} is not a level: read as a target with every level enabled (env_logger)")
    if not found:
        return None, notes or ["no level in it"]
    return OUR_LEVEL[min(found, key=RUST_LEVELS.index)], notes
