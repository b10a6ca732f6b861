"""Reading Server-Sent Events in tests: a streaming response's chunks as events, with their ids."""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass
class Event:
    id: str
    event: str
    data: dict


def parse(text: str) -> list[Event]:
    """The complete events in `text` (blocks separated by a blank line); comments are skipped."""
    events = []
    for block in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            if not line or line.startswith(":"):
                continue
            name, _, value = line.partition(": ")
            fields[name] = value
        if "data" in fields:
            events.append(Event(fields.get("id", ""), fields.get("event", "message"), json.loads(fields["data"])))
    return events


class Reader:
    """Events from a Django streaming response, one at a time."""

    def __init__(self, response):
        self.response = response
        self.chunks = iter(response.streaming_content)
        self.buffer = ""
        self.pending: list[Event] = []
        self.comments: list[str] = []

    def _read(self) -> None:
        chunk = next(self.chunks)  # the stream's own XREAD blocks at most its keep-alive per chunk
        self.buffer += chunk.decode() if isinstance(chunk, bytes) else chunk
        complete, _, self.buffer = self.buffer.rpartition("\n\n")
        if complete:
            self.pending += parse(complete + "\n\n")
            self.comments += [line[1:].strip() for line in complete.splitlines() if line.startswith(":")]

    def started(self) -> Reader:
        """Reads the stream's opening comment: its session is registered from then on."""
        self._read()
        return self

    def next(self) -> Event:
        while not self.pending:
            self._read()
        return self.pending.pop(0)

    def close(self) -> None:
        """The client goes away: the stream's generator is closed. Django's test client wraps it
        in a generator that, when closed, closes the response without request_finished closing
        the test's database connection (HttpResponse.close() would)."""
        self.response._iterator.close()

    def until(self, done, limit: int = 200) -> list[Event]:
        """Events up to and including the first one `done(event)` accepts."""
        seen = []
        for _ in range(limit):
            seen.append(self.next())
            if done(seen[-1]):
                return seen
        raise AssertionError(f"no matching event within {limit}: {seen}")


def lines_of(events: list[Event]) -> list[str]:
    return [line for e in events if e.event == "output" for _, line in e.data["lines"]]
