"""Presence: each instance's control role announces it every owner_ttl_seconds / 3 under
{prefix}:schedulers:presence:{instance_id} with a TTL of owner_ttl_seconds. The live
instances are exactly the presence keys that exist."""

import json
import logging
import os
import socket
import time
from datetime import datetime, timezone

from django.conf import settings

from scheduler_project.redis_store import keys
from scheduler_project.redis_store.accounting import redis_op
from scheduler_project.redis_store.client import get_redis
from scheduler_project.version import __version__
from scheduler_project.metrics import counters

log = logging.getLogger("taskplane.instances")
STARTED_AT = datetime.now(timezone.utc).isoformat()


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
    from instances_app.lease import current_leader

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
        "at": datetime.now(timezone.utc).isoformat(),
    }
    redis = get_redis()
    redis_op("set", redis.set, keys.presence(instance_id), json.dumps(record), ex=ttl())
    redis_op("sadd", redis.sadd, keys.known_instances(), instance_id)
    counters.incr("scheduler_phase2_presence_heartbeat_total", {"instance_id": instance_id})
    return record


def withdraw(instance_id: str | None = None) -> None:
    redis_op("delete", get_redis().delete, keys.presence(instance_id or settings.INSTANCE_ID))


def live_instances() -> list[dict]:
    redis = get_redis()
    names = sorted(redis_op("scan", lambda: list(redis.scan_iter(match=keys.presence_pattern(), count=500))))
    records = []
    for name in names:
        raw = redis_op("get", redis.get, name)
        if raw:
            try:
                records.append(json.loads(raw))
            except ValueError:
                log.error("unreadable presence record %s", name)
    return records


def is_live(instance_id: str) -> bool:
    return bool(redis_op("exists", get_redis().exists, keys.presence(instance_id)))


def known_instances() -> list[str]:
    return sorted(redis_op("smembers", get_redis().smembers, keys.known_instances()))
