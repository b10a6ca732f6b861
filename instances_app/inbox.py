"""The inbox of each instance: a Redis stream carrying what must reach that instance (live run
events for the sessions connected to it, instance commands).

    XADD {prefix}:streams:{instance:ID}:inbox MAXLEN ~ stream_maxlen * type <t> body <json>
    XREADGROUP GROUP stream_group <consumer> COUNT stream_count BLOCK stream_block_ms ...
    XACK after the handler succeeded

A handler that fails leaves its entry pending; the sweeper (instances_app.sweeper) claims it
again after dlq_min_idle_ms, and after dlq_max_deliveries moves it to the instance's DLQ with
the history of its failures.
"""

import json
import logging
import time
from datetime import UTC, datetime

import redis
from django.conf import settings

from instances_app.presence import known_instances
from scheduler_project.redis_store import keys
from scheduler_project.redis_store.accounting import redis_op, redis_pipeline
from scheduler_project.redis_store.client import get_redis

log = logging.getLogger("taskplane.instances")
HANDLERS = {}


class InvalidMessage(ValueError):
    pass


def handler(message_type: str):
    def register(fn):
        HANDLERS[message_type] = fn
        return fn

    return register


def p2():
    return settings.TP.scheduler.phase2


def enqueue(instance_id: str, message_type: str, body: dict) -> str:
    entry_id = redis_op(
        "xadd", get_redis().xadd, keys.inbox(instance_id), {"type": message_type, "body": json.dumps(body)},
        maxlen=p2().stream_maxlen, approximate=True,
    )
    log.info("Enqueued to instance inbox %s: %s %s", instance_id, message_type, entry_id)
    return entry_id


def ensure_group(instance_id: str) -> None:
    try:
        # BUSYGROUP: the group exists already (every start after the first): the answer we expect.
        redis_op("xgroup_create", get_redis().xgroup_create, keys.inbox(instance_id), p2().stream_group,
                 id="0", mkstream=True, expect_errors=("BUSYGROUP",))
    except redis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def handle(instance_id: str, entry_id: str, fields: dict, consumer: str) -> bool:
    """Run the entry's handler; True when it may be acknowledged. A failure is recorded in the
    instance's error history, so that a dead letter says why it died."""
    try:
        message_type = fields.get("type")
        if message_type not in HANDLERS:
            raise InvalidMessage(f"unknown message type {message_type!r}")
        try:
            body = json.loads(fields.get("body") or "{}")
        except ValueError as exc:
            raise InvalidMessage(f"body is not JSON: {exc}") from None
        HANDLERS[message_type](instance_id, body)
        return True
    except Exception as exc:
        log.error("inbox %s entry %s failed on %s: %s", instance_id, entry_id, consumer, exc)
        record_failure(instance_id, entry_id, consumer, f"{type(exc).__name__}: {exc}")
        return False


def record_failure(instance_id: str, entry_id: str, consumer: str, error: str) -> None:
    redis = get_redis()
    history = json.loads(redis.hget(keys.errors(instance_id), entry_id) or "[]")
    history.append({"consumer": consumer, "error": error[:1000], "at": datetime.now(UTC).isoformat()})
    redis_op("hset", redis.hset, keys.errors(instance_id), entry_id, json.dumps(history[-20:]))


def ack_commands(instance_id: str, entry_ids: list[str], clear_history: bool = True) -> list:
    """XACK of the entries, and HDEL of their failure history unless none can have one; for
    ops.redis_pipeline, so that the sweeper can send them with its DLQ moves."""
    if not entry_ids:
        return []
    commands = [("xack", (keys.inbox(instance_id), p2().stream_group, *entry_ids), {})]
    if clear_history:
        commands.append(("hdel", (keys.errors(instance_id), *entry_ids), {}))
    return commands


def acknowledge(instance_id: str, entry_ids: list[str], clear_history: bool = True) -> None:
    commands = ack_commands(instance_id, entry_ids, clear_history)
    if commands:
        redis_pipeline(get_redis(), commands)


def read_and_handle(instance_id: str, consumer: str, block_ms: int | None = None, pending: bool = False) -> int:
    """One XREADGROUP round on the inbox; returns how many entries were handled."""
    stream, config = keys.inbox(instance_id), p2()
    block = None if pending else (config.stream_block_ms if block_ms is None else block_ms)
    reply = redis_op("xreadgroup", get_redis().xreadgroup, config.stream_group, consumer,
                     {stream: "0" if pending else ">"}, count=config.stream_count, block=block)
    done = []
    for _, entries in reply or []:
        for entry_id, fields in entries:
            if fields and handle(instance_id, entry_id, fields, consumer):
                done.append(entry_id)
    # A failure history is written only after a delivery that failed, so entries read for the first
    # time (">") that succeeded have none: their acknowledgement is one XACK, no HDEL.
    acknowledge(instance_id, done, clear_history=pending)
    return len(done)


def pending_count(instance_id: str) -> int:
    try:
        summary = redis_op("xpending", get_redis().xpending, keys.inbox(instance_id), p2().stream_group,
                           expect_errors=("NOGROUP",))
    except redis.ResponseError:  # no stream or group yet (presence asks before the reader made them)
        return 0
    return int(summary.get("pending", 0)) if isinstance(summary, dict) else 0


def pending_counts() -> dict[str, int]:
    """pending_count of every known instance's inbox (the live ones and those still to adopt)."""
    return {instance_id: pending_count(instance_id) for instance_id in known_instances()}


class InboxReader:
    """The blocking reader loop of one instance's inbox, run on a thread of its control role."""

    def __init__(self, instance_id: str, consumer: str):
        self.instance_id = instance_id
        self.consumer = consumer
        self.stopping = False

    def run(self) -> None:
        ensure_group(self.instance_id)
        log.info("Redis connected: reading inbox %s as %s", keys.inbox(self.instance_id), self.consumer)
        read_and_handle(self.instance_id, self.consumer, pending=True)  # what this consumer left unacked
        while not self.stopping:
            try:
                read_and_handle(self.instance_id, self.consumer)
            except redis.ResponseError as exc:
                if "NOGROUP" in str(exc):
                    ensure_group(self.instance_id)  # the stream was deleted (trimmed, flushed)
                else:
                    log.error("inbox %s: %s", self.instance_id, exc)
                    time.sleep(1)
            except redis.RedisError as exc:
                log.error("inbox %s: Redis unavailable: %s", self.instance_id, exc)
                time.sleep(1)
