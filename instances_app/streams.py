"""The body of a live event stream (Server-Sent Events) for one session on this instance.

It tails this instance's inbox with XREAD (not the consumer group: every stream on the
instance sees every entry and keeps those addressed to its own session), so an event
processed on any instance reaches the viewer through this instance's inbox. A comment line
every KEEPALIVE_SECONDS keeps proxies from closing an idle stream and refreshes the session.
"""

import json
import logging
import threading
import time

from django.conf import settings

from instances_app import sessions
from scheduler_project.redis_store import keys
from scheduler_project.redis_store.accounting import redis_op
from scheduler_project.redis_store.client import get_redis

log = logging.getLogger("taskplane.instances")
KEEPALIVE_SECONDS = 15
MAX_STREAM_SECONDS = 3600  # clients reconnect (EventSource does by itself); no thread is held forever


class StreamSlots:
    """At most half of a process's threads serve streams, so the API always has threads left."""

    def __init__(self):
        self.semaphore = threading.BoundedSemaphore(max(1, settings.TP.api.threads // 2))

    def try_take(self) -> bool:
        return self.semaphore.acquire(blocking=False)

    def give_back(self) -> None:
        self.semaphore.release()


_slots: StreamSlots | None = None


def slots() -> StreamSlots:
    global _slots
    if _slots is None:
        _slots = StreamSlots()
    return _slots


def sse(event: str, data: dict) -> str:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n"


def last_entry_id(redis, inbox_key: str) -> str:
    newest = redis_op("xrevrange", redis.xrevrange, inbox_key, count=1)
    return newest[0][0] if newest else "0-0"


def stream(filters: dict, first_events, is_over=lambda event: False, on_close=None):
    """Yield SSE text: `first_events()` (the current state), then the live events of `filters`.

    The order closes two gaps through which an event could be lost: the inbox position is
    taken before the session is registered (XREAD "$" would start at the first read, later,
    and skip what arrived meanwhile), and the current state is read after it is registered
    (a change in between reaches the stream as an event instead of vanishing)."""
    instance_id = settings.INSTANCE_ID
    inbox_key = keys.inbox(instance_id)
    redis = get_redis()
    last_id = last_entry_id(redis, inbox_key)
    session_id = sessions.open_session(filters, instance_id)
    started = time.monotonic()
    try:
        yield f": session {session_id} on instance {instance_id}\n\n"
        for event in first_events():
            yield sse(event["kind"], event)
            if is_over(event):
                return
        while time.monotonic() - started < MAX_STREAM_SECONDS:
            reply = redis_op("xread", redis.xread, {inbox_key: last_id}, count=100, block=KEEPALIVE_SECONDS * 1000)
            if not reply:
                sessions.touch(session_id, filters, instance_id)
                yield ": keep-alive\n\n"
                continue
            for _, entries in reply:
                for entry_id, fields in entries:
                    last_id = entry_id
                    if fields.get("type") != "run_event":
                        continue
                    body = json.loads(fields.get("body") or "{}")
                    if session_id not in body.get("sessions", []):
                        continue
                    event = body["event"]
                    yield sse(event.get("kind", "status"), event)
                    if is_over(event):
                        return
    finally:
        sessions.close_session(session_id, instance_id)
        if on_close:
            on_close()
