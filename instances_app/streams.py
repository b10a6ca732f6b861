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


class LiveStream:
    """The body of one live stream, and what it holds: a slot of this process (given back through
    `on_close`) and a session in Redis.

    Everything that can fail before the first byte (Redis away) happens in the constructor, so the
    view can answer 503 and give the slot back. From then on close() gives both back, once:
    Django's response calls it when the WSGI server closes the response (PEP 3333), whether the
    body was iterated or not and however it ended (the client went away, the server stopped);
    the body calls it too when it ends by itself.

    The order closes two gaps through which an event could be lost: the inbox position is taken
    before the session is registered (XREAD "$" would start at the first read, later, and skip
    what arrived meanwhile), and the current state is read after it is registered (a change in
    between reaches the stream as an event instead of vanishing)."""

    def __init__(self, filters: dict, first_events, is_over=lambda event: False, on_close=None):
        self.filters, self.first_events, self.is_over, self.on_close = filters, first_events, is_over, on_close
        self.instance_id = settings.INSTANCE_ID
        self.inbox_key = keys.inbox(self.instance_id)
        self.session_id: str | None = None
        self.closed = False
        self.redis = get_redis()
        self.last_id = last_entry_id(self.redis, self.inbox_key)
        self.session_id = sessions.open_session(filters, self.instance_id)

    def __iter__(self):
        try:
            yield from self._events()
        except Exception as exc:  # Redis went away mid-stream: end it; EventSource reconnects by itself
            log.warning("live stream %s ended: %s", self.session_id, exc)
            yield ": live events interrupted; reconnect\n\n"
        finally:
            self.close()

    def _events(self):
        started = time.monotonic()
        yield f": session {self.session_id} on instance {self.instance_id}\n\n"
        for event in self.first_events():
            yield sse(event["kind"], event)
            if self.is_over(event):
                return
        redis, filters = self.redis, self.filters
        while time.monotonic() - started < MAX_STREAM_SECONDS:
            reply = redis_op("xread", redis.xread, {self.inbox_key: self.last_id}, count=100,
                             block=KEEPALIVE_SECONDS * 1000)
            if not reply:
                sessions.touch(self.session_id, filters, self.instance_id)
                yield ": keep-alive\n\n"
                continue
            for _, entries in reply:
                for entry_id, fields in entries:
                    self.last_id = entry_id
                    if fields.get("type") != "run_event":
                        continue
                    body = json.loads(fields.get("body") or "{}")
                    if self.session_id not in body.get("sessions", []):
                        continue
                    event = body["event"]
                    yield sse(event.get("kind", "status"), event)
                    if self.is_over(event):
                        return

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            if self.session_id:
                sessions.close_session(self.session_id, self.instance_id)
        except Exception as exc:  # Redis away: the session lapses by itself (SESSION_TTL_SECONDS)
            log.warning("live stream session %s not closed: %s", self.session_id, exc)
        finally:
            if self.on_close:
                self.on_close()
