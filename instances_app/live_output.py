"""The output lines of each running execution, kept where a client that connects late (or
reconnects) can read them: one capped Redis stream per execution (a run's attempt).

    XADD {prefix}:output:{run:ID}:a<attempt> MAXLEN ~ MAX_LINES * s <stdout|stderr> l <line> n <line number> [d <dropped>]

- Written by the receiver of the engine's `run_output` signal (instances_app.live_events), in
  the control process that applies a worker's output batch, BEFORE the batch is routed to the
  live sessions. A stream registers its session first and reads this backlog after, so a line
  is in the backlog, in the live events, or in both (never in neither); events carry the stream
  ids of their lines, and a stream sends each id once (instances_app.streams).
- A line's stream id is its position: SSE event ids, and so Last-Event-ID, are built on it.
- `n` is the line's number in the execution's output (from the worker's `first_line`; lines the
  worker dropped count too), so a client can put lines in order even if two batches were applied
  out of order by the control role's threads. `d` on a batch's last line: lines the worker did
  not forward after it (more than its batch limit within one flush).
- Capped at MAX_LINES (approximate trimming): a client connecting later than that many lines
  gets the newest ones and the count of those gone. The run's captured output is in the database
  once it ends (up to [worker] max_output_bytes), whatever was kept here.
- Expiry: every append refreshes ORPHAN_TTL_SECONDS (an execution the engine never concludes
  still goes); when the engine concludes the attempt (the `run_status_changed` signal with its
  status and attempt), the stream expires KEEP_SECONDS later, time for viewers to catch up.
"""

from __future__ import annotations

import logging

from scheduler_project.redis_store import keys
from scheduler_project.redis_store.accounting import redis_op, redis_pipeline
from scheduler_project.redis_store.client import get_redis

log = logging.getLogger("taskplane.instances")

MAX_LINES = 10_000
MAX_LINE_CHARS = 4096  # the worker cuts lines there too
KEEP_SECONDS = 300
ORPHAN_TTL_SECONDS = 86_400
BATCH_LINES = 500  # lines per replayed event, the worker's own batch limit
STREAMS = ("stdout", "stderr")


def stream_id_key(entry_id: str) -> tuple[int, int]:
    """A stream entry id ("<ms>-<seq>") as a sortable pair; malformed ids sort first."""
    ms, _, seq = (entry_id or "").partition("-")
    try:
        return int(ms), int(seq or 0)
    except ValueError:
        return -1, -1


def _lines(batch: dict) -> list[tuple[str, str]]:
    """The batch's well-formed lines: worker nodes are outside the trust boundary (guarantee
    10), so anything else is skipped rather than stored."""
    out = []
    for item in batch.get("lines") or []:
        if isinstance(item, (list, tuple)) and len(item) == 2 and item[0] in STREAMS and isinstance(item[1], str):
            out.append((item[0], item[1][:MAX_LINE_CHARS]))
    return out


def _int(value, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def append(batch: dict) -> list[str]:
    """Store a worker's output batch (run_id, attempt, lines, first_line, dropped); returns the
    stream ids of its lines, in order (one round trip)."""
    run_id, attempt = _int(batch.get("run_id")), _int(batch.get("attempt"))
    lines = _lines(batch)
    if run_id <= 0 or attempt <= 0 or not lines:
        return []
    key = keys.run_output(run_id, attempt)
    first = _int(batch.get("first_line"))
    dropped = max(0, _int(batch.get("dropped")))
    commands = []
    for index, (stream, line) in enumerate(lines):
        fields = {"s": stream, "l": line, "n": str(first + index) if first > 0 else ""}
        if dropped and index == len(lines) - 1:
            fields["d"] = str(dropped)
        commands.append(("xadd", (key, fields), {"maxlen": MAX_LINES, "approximate": True}))
    commands.append(("expire", (key, ORPHAN_TTL_SECONDS), {}))
    return [str(entry_id) for entry_id in redis_pipeline(get_redis(), commands)[:-1]]


def conclude(run_id: int, attempt: int) -> None:
    """The attempt ended: its lines go KEEP_SECONDS from now (never sooner than that)."""
    redis_op("expire", get_redis().expire, keys.run_output(run_id, attempt), KEEP_SECONDS)


def _as_event(run_id: int, task_id, attempt: int, entries: list, dropped_before: int = 0) -> dict:
    lines, ids, numbers, dropped = [], [], [], dropped_before
    for entry_id, fields in entries:
        lines.append([fields.get("s", "stdout"), fields.get("l", "")])
        ids.append(entry_id)
        numbers.append(_int(fields.get("n")) or None)
        dropped += _int(fields.get("d"))
    return {"kind": "output", "run_id": run_id, "task_id": task_id, "attempt": attempt, "lines": lines,
            "first_line": numbers[0] if numbers else None, "dropped": dropped, "ids": ids, "replayed": True}


def replay(run_id: int, task_id, attempt: int, after: str | None = None) -> list[dict]:
    """The execution's kept lines after stream id `after` (all of them without), as `output`
    events of at most BATCH_LINES lines each. Without `after`, the first event also counts
    (in `dropped`) the lines trimmed away before the oldest kept one."""
    redis = get_redis()
    key = keys.run_output(run_id, attempt)
    entries = redis_op("xrange", redis.xrange, key, min=f"({after}" if after else "-", max="+", count=MAX_LINES * 2)
    if not entries:
        return []
    trimmed = 0
    if not after:
        try:
            info = redis_op("xinfo_stream", redis.xinfo_stream, key)
            trimmed = max(0, _int(info.get("entries-added")) - _int(info.get("length")))
        except Exception:  # noqa: BLE001  before Redis 7 there is no entries-added: count nothing
            trimmed = 0
    events = []
    for start in range(0, len(entries), BATCH_LINES):
        chunk = entries[start:start + BATCH_LINES]
        events.append(_as_event(run_id, task_id, attempt, chunk, trimmed if start == 0 else 0))
    return events
