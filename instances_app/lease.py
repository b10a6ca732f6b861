"""The leader lease: only the instance holding it lets its beat fire schedules.

    {prefix}:schedulers:leader = {"instance_id": ..., "token": N, "since": ...}  (PX owner_ttl)

Acquired with SET NX, renewed and released only by its holder (compare-and-set in Lua), so a
leader that stalls past its TTL cannot extend a lease another instance has taken since. The
token grows with every acquisition: a fencing token that later writes can be checked against.
A moment of double leadership (a stalled old leader waking up) is harmless anyway: every fire
is unique on (task, scheduled_for) in the database.
"""

import json
import logging
from datetime import UTC, datetime

from django.conf import settings

from scheduler_project.redis_store import keys
from scheduler_project.redis_store.accounting import redis_op
from scheduler_project.redis_store.client import get_redis

log = logging.getLogger("taskplane.instances")

RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


def current_leader() -> dict | None:
    raw = redis_op("get", get_redis().get, keys.leader())
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


class Lease:
    def __init__(self, instance_id: str | None = None):
        self.instance_id = instance_id or settings.INSTANCE_ID
        self.value: str | None = None  # what we wrote, while we believe we hold it

    @property
    def ttl_ms(self) -> int:
        return settings.TP.scheduler.phase2.owner_ttl_seconds * 1000

    @property
    def token(self) -> int | None:
        return json.loads(self.value)["token"] if self.value else None

    def stepping_down(self) -> bool:
        return bool(redis_op("exists", get_redis().exists, keys.stepdown(self.instance_id)))

    def hold(self) -> bool:
        """Renew the lease, or try to take it; True while this instance leads."""
        redis = get_redis()
        if self.stepping_down():
            self.release()
            return False
        if self.value is not None:
            if redis_op("eval", redis.eval, RENEW, 1, keys.leader(), self.value, self.ttl_ms):
                return True
            log.warning("instance %s lost the leader lease", self.instance_id)
            self.value = None
        token = redis_op("incr", redis.incr, keys.leader_fence())
        value = json.dumps({"instance_id": self.instance_id, "token": token,
                            "since": datetime.now(UTC).isoformat()})
        if redis_op("set", redis.set, keys.leader(), value, nx=True, px=self.ttl_ms):
            self.value = value
            log.info("instance %s is the leader (fencing token %s)", self.instance_id, token)
            return True
        return False

    def release(self) -> None:
        if self.value is not None:
            redis_op("eval", get_redis().eval, RELEASE, 1, keys.leader(), self.value)
            log.info("instance %s released the leader lease", self.instance_id)
            self.value = None


def superseded(token: int) -> bool:
    """Whether a leader holding a newer lease than `token` exists now: what a leader that
    stalled past its TTL sent after waking up, or sent just before losing the lease and which
    arrived after the handover. Redis away: not known to be superseded (the fire ledger still
    makes a double fire harmless)."""
    try:
        leader = current_leader()
    except Exception:  # noqa: BLE001
        return False
    try:
        return bool(leader) and int(leader.get("token", 0)) > int(token)
    except (TypeError, ValueError):
        return False


def request_stepdown(instance_id: str) -> None:
    """The instance's beat gives the lease up and stays away from it for one TTL."""
    ttl = settings.TP.scheduler.phase2.owner_ttl_seconds
    redis_op("set", get_redis().set, keys.stepdown(instance_id), "1", ex=ttl)
