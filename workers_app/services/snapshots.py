"""Node snapshots in Redis, in the key layout of the multi-instance guide:

    {prefix}:v1:nodes:all                (set of node ids)
    {prefix}:v1:nodes:snapshot:{node_id} (the latest heartbeat, TTL presence_ttl_seconds)

A heartbeat costs the control role one Redis round trip; the sweep then writes every
snapshot to the Worker rows in bulk (liveness.apply_heartbeats), so the database sees one
batched write per sweep however many workers beat, and every instance sees every worker.

Liveness does not depend on Redis: a heartbeat that cannot be stored there (Redis is away) is
written to its Worker row at once instead (receive()), so the registry stays current through
the outage; when Redis is back, the snapshots it still holds are older than the rows and change
nothing (apply_heartbeats never lets an older heartbeat overwrite a newer one).
"""

import json
import logging
import time

from django.conf import settings
from django.utils import timezone

from scheduler_project.redis_store import keys
from scheduler_project.redis_store.accounting import redis_op, redis_pipeline
from scheduler_project.redis_store.client import get_redis
from workers_app.models import Worker
from workers_app.services.liveness import InvalidHeartbeat, apply_heartbeats, parse_heartbeat

log = logging.getLogger(__name__)


def store(beat: dict) -> None:
    parse_heartbeat(beat)  # refuse a malformed beat here, naming the problem
    ttl = settings.TP.scheduler.phase2.node_snapshot.presence_ttl_seconds
    redis_pipeline(get_redis(), [("set", (keys.node_snapshot(beat["worker_id"]), json.dumps(beat)), {"ex": ttl}),
                                 ("sadd", (keys.nodes_all(), beat["worker_id"]), {})])


# After Redis failed a heartbeat, the next ones go straight to the registry for this long: a Redis
# that hangs rather than refuses would otherwise hold a control thread per heartbeat for its
# timeouts and retries, and the threads are shared with status events.
REDIS_BACKOFF_SECONDS = 5.0
_redis_skipped_until = 0.0


def receive(beat: dict) -> str:
    """A heartbeat the control role received: into Redis, or, while Redis is away, straight into
    the registry. Returns where it went; InvalidHeartbeat names what is wrong with it."""
    global _redis_skipped_until
    if time.monotonic() >= _redis_skipped_until:
        try:
            store(beat)
            return "snapshot"
        except InvalidHeartbeat:
            raise
        except Exception as exc:  # Redis away (connection refused, timeout, loading, read-only ...)
            _redis_skipped_until = time.monotonic() + REDIS_BACKOFF_SECONDS
            log.warning("heartbeats written to the registry directly for %ss: Redis unavailable (%s)",
                        REDIS_BACKOFF_SECONDS, exc)
    else:
        parse_heartbeat(beat)
    apply_heartbeats([beat])
    return "registry"


def read_all() -> tuple[list[dict], list[str]]:
    """The live snapshots, and the ids in the set whose snapshot has expired."""
    redis = get_redis()
    ids = sorted(redis_op("smembers", redis.smembers, keys.nodes_all()))
    if not ids:
        return [], []
    # GETs in one pipeline, not an MGET: the snapshot keys have no common hash tag, and a Redis
    # Cluster refuses a multi-key command across slots (its pipeline splits them by node).
    raw = redis_pipeline(redis, [("get", (keys.node_snapshot(i),), {}) for i in ids])
    beats, expired = [], []
    for node_id, value in zip(ids, raw):
        if value is None:
            expired.append(node_id)
            continue
        try:
            beats.append(json.loads(value))
        except ValueError:
            log.error("unreadable snapshot of node %s: %r", node_id, value[:200])
    return beats, expired


def flush(now=None) -> int:
    """Write every live snapshot to the registry; forget nodes silent past remove_stale_after_seconds."""
    now = now or timezone.now()
    beats, expired = read_all()
    applied = apply_heartbeats(beats)
    stale_after = settings.TP.scheduler.phase2.node_snapshot.remove_stale_after_seconds
    stale = Worker.objects.filter(
        worker_id__in=expired, last_heartbeat__lt=now - timezone.timedelta(seconds=stale_after)
    ).values_list("worker_id", flat=True)
    if stale:
        redis_op("srem", get_redis().srem, keys.nodes_all(), *stale)
    return len(applied)


__all__ = ["InvalidHeartbeat", "flush", "read_all", "receive", "store"]
