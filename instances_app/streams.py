"""The body of a live event stream (Server-Sent Events) for one session (LiveStream).

It tails its session's inbox with XREAD (not the consumer group: every stream on the instance
sees every entry and keeps those addressed to its own session), so an event processed on any
instance reaches the viewer through that inbox. A comment line every KEEPALIVE_SECONDS keeps
proxies from closing an idle stream and refreshes the session.

Every event carries an `id:`, a Cursor: the session, the inbox position of the event and, on a
run's stream, the position in the run's output (instances_app.live_output) up to which the
client has every line. A client that reconnects with it (EventSource sends it back as the
Last-Event-ID header by itself; `?last_event_id=` works too) loses nothing:

- its session still exists (it outlives its stream by sessions.RESUME_SECONDS) and the inbox
  still holds every entry after that position: the stream takes the session over, on whichever
  instance the client reached, and reads on from there: every event routed meanwhile, in order;
- otherwise a new session starts, with the current state first (a run's stream: the run's kept
  output after the cursor's line, then its status; the client misses no line, and the status is
  the current one); a stream of several runs then sends a `resync` event first, saying that
  events in between may be missing.

A run's stream sends each output line once: events carry the stream ids of their lines, and
lines at or before the cursor's are left out (a line can be in the backlog and in the live
events both, see live_output).

What a stream holds (a slot of this process, a session in Redis) is given back however it ends:
everything that can fail before the first byte (Redis away) happens in LiveStream's constructor,
so the view answers 503 and gives the slot back; from then on close() gives both back, once.
Django's response calls it when the WSGI server closes the response (PEP 3333), whether the body
was iterated or not and however it ended; the body calls it too when it ends by itself.
"""

import json
import logging
import threading
import time
from dataclasses import dataclass

from django.conf import settings

from instances_app import sessions
from instances_app.live_output import stream_id_key
from scheduler_project.redis_store import keys
from scheduler_project.redis_store.accounting import redis_op
from scheduler_project.redis_store.client import get_redis

log = logging.getLogger("taskplane.instances")
KEEPALIVE_SECONDS = 15
MAX_STREAM_SECONDS = 3600  # clients reconnect (EventSource does by itself); no thread is held forever
TAIL_SECONDS = 1.0  # after a run's final status: output lines the control role applied just after it
CURSOR_VERSION = "1"


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


@dataclass(frozen=True)
class Cursor:
    """What an event's `id:` says: `1:<instance>:<session>:<inbox entry id>[:<attempt>:<output entry id>]`.
    Instance ids never contain ":" (the configuration allows letters, digits and _ . @ -)."""

    instance: str
    session: str
    inbox_id: str
    attempt: int = 0
    output_id: str = ""

    def __str__(self) -> str:
        parts = [CURSOR_VERSION, self.instance, self.session, self.inbox_id]
        if self.attempt:
            parts += [str(self.attempt), self.output_id or "0-0"]
        return ":".join(parts)

    @classmethod
    def parse(cls, text: str | None) -> "Cursor | None":
        """None for anything that is not a cursor (a client may send any Last-Event-ID)."""
        parts = (text or "").strip().split(":")
        if len(parts) not in (4, 6) or parts[0] != CURSOR_VERSION or not all(parts[1:]):
            return None
        if any(stream_id_key(p) < (0, 0) for p in (parts[3], *parts[5:6])):
            return None
        attempt = 0
        if len(parts) == 6:
            if not parts[4].isdigit() or len(parts[4]) > 9:
                return None
            attempt = int(parts[4])
        if len(parts[1]) > 200 or len(parts[2]) > 64:
            return None
        return cls(parts[1], parts[2], parts[3], attempt, parts[5] if len(parts) == 6 else "")

    @property
    def output(self) -> tuple[int, str] | None:
        return (self.attempt, self.output_id) if self.attempt else None


def sse(event: str, data: dict, event_id: str | None = None) -> str:
    head = f"id: {event_id}\n" if event_id else ""
    return f"{head}event: {event}\ndata: {json.dumps(data)}\n\n"


def last_entry_id(redis, inbox_key: str) -> str:
    newest = redis_op("xrevrange", redis.xrevrange, inbox_key, count=1)
    return newest[0][0] if newest else "0-0"


def _inbox_holds_after(redis, inbox_key: str, entry_id: str) -> bool:
    """Whether every entry the inbox ever had after `entry_id` is still in it (nothing trimmed
    or deleted past that point)."""
    try:
        info = redis_op("xinfo_stream", redis.xinfo_stream, inbox_key)
    except Exception:  # noqa: BLE001  no such stream (nothing was ever routed there): nothing lost
        return True
    deleted = info.get("max-deleted-entry-id")
    if deleted is not None:
        return stream_id_key(str(deleted)) <= stream_id_key(entry_id)
    first = info.get("first-entry")  # before Redis 7: judge by the oldest entry kept
    return not first or stream_id_key(first[0]) <= stream_id_key(entry_id) or info.get("length", 0) == 0


def resumable(redis, cursor: Cursor | None, filters: dict) -> bool:
    if cursor is None:
        return False
    found = sessions.lookup(cursor.session, cursor.instance)
    return found == filters and _inbox_holds_after(redis, keys.inbox(cursor.instance), cursor.inbox_id)


def new_lines(event: dict, output: tuple[int, str] | None) -> tuple[dict | None, tuple[int, str] | None]:
    """A run's output event without the lines the client has (at or before `output`), and the
    position after it. None for an event with nothing new (an older attempt's lines too)."""
    attempt = int(event.get("attempt") or 0)
    ids = event.get("ids")
    if not isinstance(ids, list) or len(ids) != len(event.get("lines") or []):
        return event, output  # no positions: forwarded as it is
    if output and attempt < output[0]:
        return None, output
    keep = [i for i, entry_id in enumerate(ids)
            if not output or attempt > output[0] or stream_id_key(entry_id) > stream_id_key(output[1])]
    if not keep:
        return None, output
    if len(keep) < len(ids):
        first = event.get("first_line")
        event = {**event, "lines": [event["lines"][i] for i in keep], "ids": [ids[i] for i in keep],
                 "first_line": first + keep[0] if isinstance(first, int) else None}
    return event, (attempt, ids[keep[-1]])


def _public(event: dict) -> dict:
    return {k: v for k, v in event.items() if k != "ids"}


class LiveStream:
    """The SSE body for `filters` ({"run_id": id}, {"task_id": id} or {}): the current state,
    `first_events(output)` (output: the cursor's (attempt, output id) or None), unless a session
    is resumed; then the live events, until one `is_over`.

    The order closes two gaps through which an event could be lost: the inbox position is
    taken before the session is registered (XREAD "$" would start at the first read, later,
    and skip what arrived meanwhile), and the current state is read after it is registered
    (a change in between reaches the stream as an event instead of vanishing)."""

    def __init__(self, filters: dict, first_events, is_over=lambda event: False, on_close=None,
                 last_event_id: str = ""):
        self.filters, self.first_events, self.is_over, self.on_close = filters, first_events, is_over, on_close
        self.run_stream = "run_id" in filters
        self.over = self.closed = False
        self.session_id = self.instance_id = None
        self.redis = get_redis()
        self.cursor = Cursor.parse(last_event_id)
        self.resumed = resumable(self.redis, self.cursor, filters)
        if self.resumed:
            self.instance_id, self.session_id, self.last_id = self.cursor.instance, self.cursor.session, \
                self.cursor.inbox_id
            sessions.touch(self.session_id, filters, self.instance_id)
        else:
            self.instance_id = settings.INSTANCE_ID
            self.last_id = last_entry_id(self.redis, keys.inbox(self.instance_id))
            self.session_id = sessions.open_session(filters, self.instance_id)
        self.output = self.cursor.output if (self.cursor and self.run_stream) else None

    def event_id(self) -> str:
        attempt, output_id = self.output or (0, "")
        return str(Cursor(self.instance_id, self.session_id, self.last_id, attempt if self.run_stream else 0,
                          output_id))

    def __iter__(self):
        try:
            yield from self._events()
        except Exception as exc:  # Redis went away mid-stream: end it; EventSource reconnects by itself
            log.warning("live stream %s ended: %s", self.session_id, exc)
            yield ": live events interrupted; reconnect\n\n"
        finally:
            self.close()

    def _events(self):
        yield f": session {self.session_id} on instance {self.instance_id}{' (resumed)' if self.resumed else ''}\n\n"
        if not self.resumed:
            if self.cursor is not None and not self.run_stream:
                yield sse("resync", {"kind": "resync", "reason": "the stream could not resume where it left off: "
                                     "events in between may be missing; read the current state again"},
                          self.event_id())
            for event in self.first_events(self.output):
                if event.get("kind") == "output":
                    event, self.output = new_lines(event, self.output)
                    if event is None:
                        continue
                yield sse(event["kind"], _public(event), self.event_id())
                if self.is_over(event):
                    self.over = True
                    return
        started = time.monotonic()
        tail_until = None  # after a run's final status: a last look for output lines
        inbox_key = keys.inbox(self.instance_id)
        while time.monotonic() - started < MAX_STREAM_SECONDS:
            wait = KEEPALIVE_SECONDS if tail_until is None else max(0.0, tail_until - time.monotonic())
            reply = redis_op("xread", self.redis.xread, {inbox_key: self.last_id}, count=100,
                             block=max(1, int(wait * 1000)))
            if not reply:
                if tail_until is not None:
                    return
                sessions.touch(self.session_id, self.filters, self.instance_id)
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
                    kind = event.get("kind", "status")
                    if self.run_stream and kind == "output":
                        event, self.output = new_lines(event, self.output)
                        if event is None:
                            continue
                    elif tail_until is not None:
                        continue  # after the final status, only output
                    yield sse(kind, _public(event), self.event_id())
                    if self.is_over(event):
                        self.over = True
                        if self.run_stream:
                            tail_until = time.monotonic() + TAIL_SECONDS
                        else:
                            return
            if tail_until is not None and time.monotonic() >= tail_until:
                return

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            if self.session_id is not None:
                if self.over:
                    sessions.close_session(self.session_id, self.instance_id)
                else:  # the client went away or the hour is up: it may come back for the rest
                    sessions.release(self.session_id, self.filters, self.instance_id)
        except Exception as exc:  # noqa: BLE001  Redis away: the session lapses by its expiry
            log.warning("live stream session %s not released: %s", self.session_id, exc)
        finally:
            if self.on_close:
                self.on_close()
