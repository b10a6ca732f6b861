"""Sweeping the inboxes (a periodic task, every dlq_scan_interval_ms).

For every instance ever announced: XAUTOCLAIM the entries idle past dlq_min_idle_ms (their
consumer died, or their handler keeps failing) and deliver them again; an entry delivered
dlq_max_deliveries times moves to the instance's DLQ with the reason and the history of its
failures. The inbox of an instance without presence (dead) is adopted: its new entries are
read and handled too, so nothing sent to it is stranded.
"""

import json
import logging
import time
from datetime import UTC, datetime

import redis
from django.conf import settings

from instances_app import inbox, presence
from scheduler_project.metrics import counters
from scheduler_project.redis_store import keys
from scheduler_project.redis_store.accounting import redis_op, redis_pipeline
from scheduler_project.redis_store.client import get_redis

log = logging.getLogger("taskplane.instances")


def sweeper_name() -> str:
    return f"sweeper:{settings.INSTANCE_ID}"


def deliveries(instance_id: str, entry_ids: list[str]) -> dict[str, int]:
    """How many times each claimed entry has been delivered, this claim included: one XPENDING
    range over the batch (XAUTOCLAIM returns it in id order), and one pipelined lookup each for
    any the range did not reach (this sweeper's entries still pending, not idle, in between)."""
    if not entry_ids:
        return {}
    stream, group = keys.inbox(instance_id), inbox.p2().stream_group
    rows = redis_op("xpending_range", get_redis().xpending_range, stream, group, min=entry_ids[0],
                    max=entry_ids[-1], count=len(entry_ids), consumername=sweeper_name())
    wanted = set(entry_ids)
    found = {row["message_id"]: int(row["times_delivered"]) for row in rows if row["message_id"] in wanted}
    missing = [entry_id for entry_id in entry_ids if entry_id not in found]
    if missing:
        lookups = [("xpending_range", (stream, group), {"min": i, "max": i, "count": 1}) for i in missing]
        for entry_id, rows in zip(missing, redis_pipeline(get_redis(), lookups)):
            found[entry_id] = int(rows[0]["times_delivered"]) if rows else 0
    return found


def settle(instance_id: str, exhausted: list[tuple[str, dict, int]], handled: list[str]) -> None:
    """Move the exhausted entries (id, fields, deliveries) to the DLQ with their reason and history
    and acknowledge them with the handled ones: one HMGET of the histories, then one pipeline
    (XADD each letter, XACK, HDEL, XDEL), in the order that leaves a letter written before its
    entry is dropped. The inbox, its errors and its DLQ share a slot, so this holds in a cluster."""
    p2 = inbox.p2()
    redis_client = get_redis()
    dead_ids = [entry_id for entry_id, _, _ in exhausted]
    histories = redis_op("hmget", redis_client.hmget, keys.errors(instance_id), dead_ids) if dead_ids else []
    moved_at = datetime.now(UTC).isoformat()
    commands, reasons = [], []
    for (entry_id, fields, times), found in zip(exhausted, histories):
        history = json.loads(found or "[]")
        reasons.append(history[-1]["error"] if history else "never acknowledged")
        letter = {**fields, "source_id": entry_id, "instance_id": instance_id, "reason": reasons[-1],
                  "deliveries": str(times), "history": json.dumps(history), "moved_at": moved_at}
        commands.append(("xadd", (keys.dlq(instance_id), letter), {"maxlen": p2.dlq_maxlen, "approximate": True}))
    commands += inbox.ack_commands(instance_id, handled + dead_ids)
    if dead_ids:
        commands.append(("xdel", (keys.inbox(instance_id), *dead_ids), {}))
    if not commands:
        return
    redis_pipeline(redis_client, commands)
    if dead_ids:
        counters.incr("scheduler_phase2_dlq_moved_total", {"instance_id": instance_id}, by=len(dead_ids))
    for (entry_id, _, times), reason in zip(exhausted, reasons):
        log.error("inbox %s entry %s moved to the DLQ after %s deliveries: %s", instance_id, entry_id, times, reason)


def sweep_batch(instance_id: str, cursor: str) -> tuple[str, dict] | None:
    """XAUTOCLAIM one batch from `cursor`, deliver it again, dead-letter what is exhausted;
    returns the next cursor ("0-0" at the end of the pending list) and what it did, or None
    when the inbox has no group (nothing was ever sent to it)."""
    p2 = inbox.p2()
    me = sweeper_name()
    try:
        claimed = redis_op("xautoclaim", get_redis().xautoclaim, keys.inbox(instance_id), p2.stream_group, me,
                           min_idle_time=p2.dlq_min_idle_ms, start_id=cursor, count=p2.dlq_scan_count,
                           expect_errors=("NOGROUP",))  # an inbox nothing was ever sent to
    except redis.ResponseError as exc:
        if "NOGROUP" in str(exc):
            return None
        raise
    next_cursor, entries = claimed[0], claimed[1]
    done = [entry_id for entry_id, fields in entries if not fields]  # deleted while pending: nothing to deliver
    present = [(entry_id, fields) for entry_id, fields in entries if fields]
    times = deliveries(instance_id, [entry_id for entry_id, _ in present])
    exhausted = [(entry_id, fields, times[entry_id] - 1) for entry_id, fields in present
                 if p2.dlq_enabled and times[entry_id] > p2.dlq_max_deliveries]
    dead = {entry_id for entry_id, _, _ in exhausted}
    for entry_id, fields in present:
        if entry_id not in dead and inbox.handle(instance_id, entry_id, fields, me):
            done.append(entry_id)
    settle(instance_id, exhausted, done)
    return next_cursor, {"claimed": len(entries), "handled": len(done), "dead_lettered": len(exhausted)}


def sweep_inbox(instance_id: str, budget_seconds: float | None = None) -> dict:
    """One pass over the instance's pending list, batch after batch along XAUTOCLAIM's cursor,
    within a time budget (half the scan interval by default). One batch per sweep would clear a
    backlog at dlq_scan_count per interval (20 entries/s by default: hours for 100k), and
    restarting at 0-0 each time would leave entries behind a head of not-yet-idle ones unseen."""
    p2 = inbox.p2()
    budget = p2.dlq_scan_interval_ms / 2000 if budget_seconds is None else budget_seconds
    deadline = time.monotonic() + budget
    stats = {"claimed": 0, "handled": 0, "dead_lettered": 0, "adopted": 0}
    cursor = "0-0"
    while True:
        result = sweep_batch(instance_id, cursor)
        if result is None:
            return stats
        cursor, batch = result
        for name, value in batch.items():
            stats[name] += value
        if cursor in ("0-0", b"0-0") or time.monotonic() >= deadline:
            break
    if not presence.is_live(instance_id):  # the group exists: sweep_batch found it above
        stats["adopted"] = inbox.read_and_handle(instance_id, f"adopter:{settings.INSTANCE_ID}", block_ms=1)
    return stats


def sweep_all() -> dict:
    totals: dict[str, int] = {}
    for instance_id in presence.known_instances():
        for name, value in sweep_inbox(instance_id).items():
            totals[name] = totals.get(name, 0) + value
    return totals
