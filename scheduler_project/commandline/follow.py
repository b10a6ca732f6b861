"""Following a run's output: the events of its live stream (the same Server-Sent Events the REST
API serves at /api/v1/runs/{id}/events, read in-process by `manage.py runs logs --follow` and
over HTTP by the remote client), printed as they come, then checked against the run's record.

Where the lines come from, and why a late follower still sees the first line:
- the stream is opened (its session registered) before the run's record is read, so nothing
  that happens after the record was read is missed: it arrives as an event;
- lines a running run printed before the stream opened are not in the stream today (it has no
  backlog yet: issue 16 adds a per-execution output stream with backlog and resume). They are
  in the run's captured output once it ends: when the run is final, the lines the record has
  before the first live line are printed too, under a note saying so;
- the last lines can come after the final status: the control role applies a run's output
  batches and its `finished` report side by side, so the status may overtake the last batch.
  The lines the record has after the last live one are printed from it when the run is final;
- a run that is already final is printed from its record alone.
The record is also re-read on each status event of the run and, at most every `poll_seconds`,
whenever the stream yields (an event, or its keep-alive every 15 s), so a run whose final
status event was lost (Redis away) still ends the follow.

When the per-execution output stream lands, its backlog arrives through the same event source
(the stream's first events, with ids), the follower simply sees every line live, and the
reconciliation below has nothing left to add.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TextIO


def sse_events(chunks: Iterable[str | bytes]) -> Iterator[dict | None]:
    """Parse Server-Sent Events (chunks of text, whole events or single lines) into the event
    dicts their `data:` carries (with "_id" when the event has an `id:`). A comment (the
    session line, a keep-alive) yields None, so that a follower gets the chance to poll."""
    data: list[str] = []
    event_id = None
    pending = ""  # a line not ended yet: a chunk may stop anywhere
    for chunk in chunks:
        text = pending + (chunk.decode() if isinstance(chunk, bytes) else chunk)
        *lines, pending = text.split("\n")
        for line in lines:
            line = line.rstrip("\r")
            if line == "":
                if data:
                    try:
                        event = json.loads("\n".join(data))
                    except ValueError:
                        event = None
                    if isinstance(event, dict):
                        if event_id is not None:
                            event["_id"] = event_id
                        yield event
                data, event_id = [], None
            elif line.startswith(":"):
                yield None
            elif line.startswith("data:"):
                data.append(line[5:].removeprefix(" "))
            elif line.startswith("id:"):
                event_id = line[3:].strip()


class FollowTimeout(Exception):
    pass


class Follower:
    """Prints one run's live events: output lines to `out` (stderr lines to `err`), status
    changes as notes to `err`; with as_json, every event as one JSON line on `out`."""

    def __init__(self, run_id: int, out: TextIO, err: TextIO, as_json: bool = False):
        self.run_id, self.out, self.err, self.as_json = run_id, out, err, as_json
        self.live: dict[str, list[str]] = {"stdout": [], "stderr": []}
        self.last_status = None

    def event(self, event: dict) -> str | None:
        """Print one event of the stream; returns the run's status when it is a status event."""
        if event.get("run_id") != self.run_id:
            return None
        if self.as_json:
            self.out.write(json.dumps({k: v for k, v in event.items() if k != "_id"}) + "\n")
        if event.get("kind") == "output":
            for stream, line in event.get("lines") or []:
                self.live.setdefault(stream, []).append(line)
                if not self.as_json:
                    (self.err if stream == "stderr" else self.out).write(line + "\n")
            if event.get("dropped") and not self.as_json:
                self.err.write(f"--- {event['dropped']} line(s) dropped in transit (the record keeps them)\n")
            self.flush()
            return None
        status = event.get("status")
        if status and status != self.last_status and not self.as_json:
            where = f" on {event['worker']}" if event.get("worker") and status == "running" else ""
            self.err.write(f"--- run {self.run_id}: {status}{where}\n")
        self.last_status = status or self.last_status
        self.flush()
        return status

    def joined_late(self, run: dict) -> None:
        """Following began while the run was already running: lines it printed before are not in
        the live stream (no backlog yet, issue 16); they are printed from its record at the end."""
        if not self.as_json:
            self.err.write(f"--- run {self.run_id} is running since {run['started_at']}: output from now on; what "
                           "it printed before comes from its record when it ends\n")

    def finish(self, run: dict) -> None:
        """The run is final: print what the live stream did not carry, from its record: the lines
        written before following began, and the last ones when their live event came after the
        final status (the control role applies a run's output and its `finished` side by side,
        so the final status can overtake the last output batch)."""
        for stream in ("stdout", "stderr"):
            captured = (run.get(stream) or "").splitlines()
            seen = self.live.get(stream) or []
            at = _position_of(seen, captured)
            if at is None:
                if captured and not self.as_json:
                    self.err.write(f"--- the live {stream} differs from the captured one (lines cut or dropped in "
                                   f"transit): `runs show {self.run_id}` has the record\n")
                continue
            earlier, later = captured[:at], captured[at + len(seen):]
            self._print_recorded(stream, later)  # they follow the live lines directly
            if seen and earlier and not self.as_json:
                self.err.write(f"--- the {len(earlier)} line(s) of {stream} written before following began "
                               f"(from the run's record):\n")
            self._print_recorded(stream, earlier)
        if self.as_json:
            self.out.write(json.dumps({"kind": "status", "run_id": self.run_id, "status": run["status"],
                                       "exit_code": run.get("exit_code"), "final": True}) + "\n")
        self.flush()

    def _print_recorded(self, stream: str, lines: list[str]) -> None:
        for line in lines:
            if self.as_json:
                self.out.write(json.dumps({"kind": "output", "run_id": self.run_id, "from_record": True,
                                           "lines": [[stream, line]]}) + "\n")
            else:
                (self.err if stream == "stderr" else self.out).write(line + "\n")

    def flush(self) -> None:
        for stream in (self.out, self.err):
            if hasattr(stream, "flush"):
                stream.flush()


def _position_of(seen: list[str], captured: list[str]) -> int | None:
    """Where the lines that came live sit in the captured ones (a run of consecutive lines), or
    None when they are not there as they came (cut or dropped in transit). Nothing came live:
    0, the whole record is new."""
    if not seen:
        return 0
    for at in range(len(captured) - len(seen) + 1):
        if captured[at:at + len(seen)] == seen:
            return at
    return None


def follow(events: Iterator[dict | None], fetch: Callable[[], dict], is_final: Callable[[dict], bool],
           follower: Follower, timeout: float, poll_seconds: float = 2.0, started: bool = False) -> dict:
    """Print the run's events until it is final; returns its final record (fetch()'s dict).

    `events` must have registered its session before fetch() is first called: pass
    started=True when the caller already took its first item (tasks trigger --wait opens the
    stream before the run exists); otherwise the first item is taken here."""
    try:
        return _follow(events, fetch, is_final, follower, timeout, poll_seconds, started)
    finally:
        close = getattr(events, "close", None)
        if close:
            close()  # a generator's finally closes its live session


def _follow(events, fetch, is_final, follower, timeout, poll_seconds, started) -> dict:
    deadline = time.monotonic() + timeout
    if not started:
        next(events, None)  # the session line: from here on, nothing is missed
    run = fetch()
    last_poll = time.monotonic()
    if not is_final(run) and run.get("started_at"):
        follower.joined_late(run)
    if not is_final(run):
        for event in events:
            if event is not None:
                follower.event(event)
            if time.monotonic() - last_poll >= poll_seconds or (event is not None and event.get("run_id") == follower.run_id
                                                                 and event.get("kind") == "status"):
                run, last_poll = fetch(), time.monotonic()
                if is_final(run):
                    break
            if time.monotonic() > deadline:
                raise FollowTimeout(f"run {follower.run_id} is still {run['status']} after {timeout:.0f}s")
        else:  # the stream ended (the run is final, or the stream's own time limit): read the record
            run = fetch()
        while not is_final(run):  # the stream ended early (its hour is up, the connection broke): poll
            if time.monotonic() > deadline:
                raise FollowTimeout(f"run {follower.run_id} is still {run['status']} after {timeout:.0f}s")
            time.sleep(poll_seconds)
            run = fetch()
    follower.finish(run)
    return run


def polling(interval: float = 1.0) -> Iterator[None]:
    """An event source with no live events: a tick every `interval` seconds (the record is polled)."""
    yield None
    while True:
        time.sleep(interval)
        yield None
