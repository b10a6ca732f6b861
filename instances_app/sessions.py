"""Sessions: live event streams (Server-Sent Events) connected to one instance, and how a run
event processed on any instance reaches them: through their instance's inbox.

    {prefix}:sessions:{instance:ID}   hash: session id -> {"run_id"| "task_id", "expires"}
    {prefix}:sessions:instances       set: instances that have sessions now

The control process that applies a status change (or receives a run's output lines) looks up
the interested sessions and XADDs one `run_event` entry to each of their instances' inboxes;
the streaming response on that instance tails its inbox and picks the entries addressed to it.

A session outlives its stream by RESUME_SECONDS (release()): a client that reconnects within
that time with the Last-Event-ID it last received takes the same session over, on whichever
instance it reaches, and reads on from that position of the inbox (instances_app.streams), so
the events routed to it meanwhile are not lost.
"""

import json
import logging
import time
import uuid

from django.conf import settings

from instances_app import inbox
from scheduler_project.redis_store import keys
from scheduler_project.redis_store.accounting import redis_op
from scheduler_project.redis_store.client import get_redis

log = logging.getLogger("taskplane.instances")
SESSION_TTL_SECONDS = 60  # refreshed by the stream's keep-alive; a dead process's sessions lapse
RESUME_SECONDS = 60  # how long a session waits for its client to reconnect after its stream ended


def index_key() -> str:
    return keys.sessions_index()


def open_session(filters: dict, instance_id: str | None = None) -> str:
    instance_id = instance_id or settings.INSTANCE_ID
    session_id = uuid.uuid4().hex
    touch(session_id, filters, instance_id)
    return session_id


def touch(session_id: str, filters: dict, instance_id: str | None = None, ttl: float = SESSION_TTL_SECONDS) -> None:
    instance_id = instance_id or settings.INSTANCE_ID
    record = json.dumps({**filters, "expires": time.time() + ttl})
    redis = get_redis()
    redis_op("hset", redis.hset, keys.sessions(instance_id), session_id, record)
    redis_op("sadd", redis.sadd, index_key(), instance_id)


def close_session(session_id: str, instance_id: str | None = None) -> None:
    instance_id = instance_id or settings.INSTANCE_ID
    redis = get_redis()
    redis_op("hdel", redis.hdel, keys.sessions(instance_id), session_id)
    if not redis_op("hlen", redis.hlen, keys.sessions(instance_id)):
        redis_op("srem", redis.srem, index_key(), instance_id)


def release(session_id: str, filters: dict, instance_id: str | None = None) -> None:
    """The stream ended without its client being done (it went away, or the hourly cut): keep
    routing to the session for RESUME_SECONDS, for a reconnect to take over (route() drops it
    after that)."""
    touch(session_id, filters, instance_id, ttl=RESUME_SECONDS)


def lookup(session_id: str, instance_id: str) -> dict | None:
    """A live session's filters, or None when it does not exist or has expired."""
    redis = get_redis()
    raw = redis_op("hget", redis.hget, keys.sessions(instance_id), session_id)
    if not raw:
        return None
    record = json.loads(raw)
    if record.pop("expires", 0) < time.time():
        return None
    return record


def any_sessions() -> bool:
    try:
        return bool(redis_op("exists", get_redis().exists, index_key()))
    except Exception as exc:  # Redis away: live viewers miss events, runs do not
        log.error("sessions unavailable: %s", exc)
        return False


def count() -> int:
    redis = get_redis()
    return sum(redis_op("hlen", redis.hlen, keys.sessions(i)) for i in redis_op("smembers", redis.smembers, index_key()))


def _matches(filters: dict, event: dict) -> bool:
    if "run_id" in filters:
        return filters["run_id"] == event["run_id"]
    if "task_id" in filters:
        return filters["task_id"] == event["task_id"]
    return True


def route(event: dict) -> dict[str, list[str]]:
    """Instance id -> the ids of its live sessions that want this event."""
    redis = get_redis()
    now = time.time()
    targets: dict[str, list[str]] = {}
    for instance_id in redis_op("smembers", redis.smembers, index_key()):
        expired = []
        for session_id, raw in redis_op("hgetall", redis.hgetall, keys.sessions(instance_id)).items():
            filters = json.loads(raw)
            if filters.get("expires", 0) < now:
                expired.append(session_id)
            elif _matches(filters, event):
                targets.setdefault(instance_id, []).append(session_id)
        if expired:
            redis_op("hdel", redis.hdel, keys.sessions(instance_id), *expired)
            if not redis_op("hlen", redis.hlen, keys.sessions(instance_id)):
                redis_op("srem", redis.srem, index_key(), instance_id)
    return targets


def publish(event: dict) -> int:
    """Deliver a run event to every interested session; never raises into the caller (a run's
    state is recorded whatever happens to its live viewers)."""
    try:
        targets = route(event)
        for instance_id, session_ids in targets.items():
            inbox.enqueue(instance_id, "run_event", {"sessions": session_ids, "event": event})
        return len(targets)
    except Exception as exc:
        log.error("live event for run %s not delivered: %s", event.get("run_id"), exc)
        return 0
