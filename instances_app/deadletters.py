"""Dead letters: inbox entries moved to {prefix}:streams:{instance:ID}:dlq after failing
dlq_max_deliveries times. Browse, replay (back into the inbox, as a new entry), purge."""

import json

from django.core.exceptions import ObjectDoesNotExist

from instances_app import inbox, presence
from scheduler_project.redis_store import keys
from scheduler_project.redis_store.accounting import redis_op, redis_pipeline
from scheduler_project.redis_store.client import get_redis

MAX_STREAM_PART = 2**64 - 1  # Redis stream ids are two unsigned 64-bit numbers


class UnknownDeadLetter(ObjectDoesNotExist):
    pass


def valid_entry_id(entry_id: str) -> bool:
    """A stream entry id Redis can take: <ms>-<seq>, each at most 2^64 - 1. Redis answers a
    larger one (or any other shape) with an error, not a miss; here it names no letter. Every
    caller (API, console) goes through get/replay/purge, so this is the one check."""
    ms, _, seq = entry_id.partition("-") if isinstance(entry_id, str) else ("", "", "")
    return (ms.isascii() and ms.isdigit() and seq.isascii() and seq.isdigit()
            and int(ms) <= MAX_STREAM_PART and int(seq) <= MAX_STREAM_PART)


class UnknownInstance(ObjectDoesNotExist):
    pass


def require_instance(instance_id: str) -> None:
    """An instance named by an operator must be one this platform has seen: it announced itself
    (alive or not since), or its inbox or DLQ exists. A typo is an error, not an empty DLQ."""
    if instance_id in presence.known_instances():
        return
    redis = get_redis()
    # The inbox and its DLQ share a hash slot ({instance:ID}); the presence key does not.
    if redis_op("exists", redis.exists, keys.dlq(instance_id), keys.inbox(instance_id)) or presence.is_live(instance_id):
        return
    known = ", ".join(presence.known_instances()) or "none"
    raise UnknownInstance(f"unknown instance {instance_id!r} (known: {known})")


def _letter(instance_id: str, entry_id: str, fields: dict) -> dict:
    try:
        history = json.loads(fields.get("history") or "[]")
    except ValueError:
        history = []
    return {
        "id": entry_id, "instance_id": instance_id, "type": fields.get("type"), "body": fields.get("body"),
        "reason": fields.get("reason", ""), "deliveries": int(fields.get("deliveries") or 0),
        "history": history, "source_id": fields.get("source_id"), "moved_at": fields.get("moved_at"),
    }


def depth(instance_id: str) -> int:
    return redis_op("xlen", get_redis().xlen, keys.dlq(instance_id))


def depths() -> dict[str, int]:
    """The DLQ depth of every known instance, in one round trip."""
    instance_ids = presence.known_instances()
    counts = redis_pipeline(get_redis(), [("xlen", (keys.dlq(i),), {}) for i in instance_ids]) if instance_ids else []
    return dict(zip(instance_ids, (int(c) for c in counts)))


def list_letters(instance_id: str | None = None, count: int = 100) -> list[dict]:
    if instance_id:
        require_instance(instance_id)
    letters = []
    for target in [instance_id] if instance_id else presence.known_instances():
        entries = redis_op("xrevrange", get_redis().xrevrange, keys.dlq(target), count=count)
        letters += [_letter(target, entry_id, fields) for entry_id, fields in entries]
    return letters[:count]


def get(instance_id: str, entry_id: str) -> dict:
    if not valid_entry_id(entry_id):
        raise UnknownDeadLetter(f"no dead letter {entry_id} in the DLQ of instance {instance_id}")
    entries = redis_op("xrange", get_redis().xrange, keys.dlq(instance_id), min=entry_id, max=entry_id)
    if not entries:
        raise UnknownDeadLetter(f"no dead letter {entry_id} in the DLQ of instance {instance_id}")
    return _letter(instance_id, *entries[0])


def replay(instance_id: str, entry_id: str) -> str:
    """Deliver the letter again through its instance's inbox; returns the new inbox entry id."""
    letter = get(instance_id, entry_id)
    fields = {"type": letter["type"], "body": letter["body"]}
    new_id = redis_op("xadd", get_redis().xadd, keys.inbox(instance_id), fields,
                      maxlen=inbox.p2().stream_maxlen, approximate=True)
    redis_op("xdel", get_redis().xdel, keys.dlq(instance_id), entry_id)
    return new_id


def purge(instance_id: str, entry_ids: list[str] | None = None) -> int:
    """Delete the given letters, or the whole DLQ of the instance; returns how many went."""
    require_instance(instance_id)
    redis = get_redis()
    if entry_ids:
        entry_ids = [e for e in entry_ids if valid_entry_id(e)]  # the others name no letter
        if not entry_ids:
            return 0
        return redis_op("xdel", redis.xdel, keys.dlq(instance_id), *entry_ids)
    count = depth(instance_id)
    redis_op("delete", redis.delete, keys.dlq(instance_id))
    return count
