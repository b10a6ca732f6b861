"""Presence: each instance's control role announces it every owner_ttl_seconds / 3 under
{prefix}:schedulers:presence:{instance_id} with a TTL of owner_ttl_seconds. The live
instances are exactly the presence keys that exist."""

import json
import logging
import os
import socket
import time
from datetime import UTC, datetime

from django.conf import settings

from instances_app.lease import current_leader
from scheduler_project.metrics import counters
from scheduler_project.redis_store import keys
from scheduler_project.redis_store.accounting import redis_op, redis_pipeline
from scheduler_project.redis_store.client import get_redis
from scheduler_project.version import __version__

log = logging.getLogger("taskplane.instances")
STARTED_AT = datetime.now(UTC).isoformat()


def ttl() -> int:
    return settings.TP.scheduler.phase2.owner_ttl_seconds


def mark_role(role: str, instance_id: str | None = None) -> None:
    """A role of this instance says it is alive (read into the presence record)."""
    instance_id = instance_id or settings.INSTANCE_ID
    redis = get_redis()
    redis_op("hset", redis.hset, keys.roles(instance_id), role, str(time.time()))
    redis_op("expire", redis.expire, keys.roles(instance_id), ttl())


def live_roles(instance_id: str) -> list[str]:
    fresh_after = time.time() - ttl()
    marks = redis_op("hgetall", get_redis().hgetall, keys.roles(instance_id))
    return sorted(role for role, at in marks.items() if float(at) >= fresh_after)


def announce(instance_id: str | None = None, inbox_pending: int | None = None) -> dict:
    instance_id = instance_id or settings.INSTANCE_ID
    mark_role("control", instance_id)
    leader = current_leader()
    record = {
        "instance_id": instance_id,
        "roles": live_roles(instance_id),
        "leader": bool(leader and leader.get("instance_id") == instance_id),
        "started_at": STARTED_AT,
        "version": __version__,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "inbox_pending": inbox_pending,
        "at": datetime.now(UTC).isoformat(),
    }
    redis = get_redis()
    redis_op("set", redis.set, keys.presence(instance_id), json.dumps(record), ex=ttl())
    redis_op("sadd", redis.sadd, keys.known_instances(), instance_id)
    counters.incr("scheduler_phase2_presence_heartbeat_total", {"instance_id": instance_id})
    return record


def withdraw(instance_id: str | None = None) -> None:
    redis_op("delete", get_redis().delete, keys.presence(instance_id or settings.INSTANCE_ID))


MAX_INSTANCES = 1000


def _int_or_none(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    return int(value) if isinstance(value, str) and value.isdigit() else None


def _text_or_none(value):
    return None if value in (None, "") else str(value)


def _normalise(instance_id: str, record, leader_id: str | None) -> dict:
    """One presence record, read leniently: a record from an older or newer version (a missing
    field, a wrong type, unreadable JSON) still lists the instance with what could be read."""
    record = record if isinstance(record, dict) else {}
    roles = record.get("roles")
    if isinstance(roles, str):
        roles = [r for r in roles.split(",") if r]
    return {
        "instance_id": instance_id,
        "roles": [str(r) for r in roles] if isinstance(roles, list) else [],
        "leader": instance_id == leader_id,
        "started_at": _text_or_none(record.get("started_at")),
        "version": str(record.get("version") or ""),
        "host": str(record.get("host") or ""),
        "pid": _int_or_none(record.get("pid")),
        "inbox_pending": _int_or_none(record.get("inbox_pending")),
        "seen_at": _text_or_none(record.get("at")),
    }


def live_instances() -> list[dict]:
    """The one reader of "live instances": one per presence key that exists (found with SCAN,
    never KEYS; the id is the key's), its record read leniently, in one pipelined round trip.
    `leader` has one definition: the instance holding the leader lease now, not what a
    presence record said when it was written."""
    redis = get_redis()
    head = keys.presence("")
    names = sorted(redis_op("scan", lambda: list(redis.scan_iter(match=keys.presence_pattern(), count=500))))
    names = names[:MAX_INSTANCES]
    # GETs in a pipeline, not an MGET: in a cluster the presence keys live in different slots.
    raws = redis_pipeline(redis, [("get", (name,), {}) for name in names]) if names else []
    leader_id = (current_leader() or {}).get("instance_id")
    found = []
    for name, raw in zip(names, raws):
        if raw is None:
            continue  # expired between the SCAN and the GET
        try:
            record = json.loads(raw)
        except ValueError:
            log.error("unreadable presence record %s", name)
            record = {}
        found.append(_normalise(name[len(head):], record, leader_id))
    return found


def is_live(instance_id: str) -> bool:
    return bool(redis_op("exists", get_redis().exists, keys.presence(instance_id)))


def known_instances() -> list[str]:
    return sorted(redis_op("smembers", get_redis().smembers, keys.known_instances()))


def control_role_seen() -> bool:
    """Whether any instance's control role is alive: its presence key exists and lists it. Beat
    only sends fires to the control queue; without a control role nothing turns them into runs."""
    return any("control" in instance["roles"] for instance in live_instances())
