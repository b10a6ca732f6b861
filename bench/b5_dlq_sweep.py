"""B5: sweeping an inbox's pending list, against a raw XAUTOCLAIM + XADD + XACK loop.

The data, built once per size P and copied (COPY keeps the consumer group and its pending list,
with idle times and delivery counts) before every repetition so both sides get identical input:
P entries of a no-op message type, read by a consumer that died without acknowledging them,
idle past dlq_min_idle_ms (XCLAIM IDLE), one in EXHAUSTED_EVERY already delivered
dlq_max_deliveries times (XCLAIM RETRYCOUNT) with a failure history in the errors hash.

ours: instances_app.sweeper.sweep_inbox() on a live instance, called until it claims nothing:
XAUTOCLAIM COUNT dlq_scan_count, redelivery of each entry to its handler and XACK, the
exhausted ones moved to the DLQ with reason and history, counted in the DLQ metric.

baseline: the same work by hand, in as few round trips as a careful raw loop needs per batch:
XAUTOCLAIM (following its cursor), one XPENDING range for the delivery counts, one HMGET of
the histories, then one pipeline of XADD to the DLQ (same MAXLEN ~), XACK, XDEL, HDEL.

Reported per P: entries/s (target ours >= 0.7x) and microseconds per entry; and how the
per-entry time grows from the smallest to the largest P (ours must stay flat: not grow more
than the raw loop's, which is the server's own growth).
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

from bench import harness
from bench.inbox_common import NOOP_TYPE, logs_to_devnull, noop, phase2_for_bench, raw_client, sample_body

EXHAUSTED_EVERY = 5  # a fifth of the pending entries go to the DLQ, the rest are redelivered
CHUNK = 1000
DEADLINE_SECONDS = 300.0


def build(client, p: int, stream: str, errors: str) -> int:
    """The template inbox; returns how many entries are exhausted."""
    from instances_app import inbox

    p2 = inbox.p2()
    client.delete(stream, errors)
    client.xgroup_create(stream, p2.stream_group, id="0", mkstream=True)
    ids: list[str] = []
    for start in range(0, p, CHUNK):
        pipe = client.pipeline(transaction=False)
        for n in range(start, min(p, start + CHUNK)):
            pipe.xadd(stream, {"type": NOOP_TYPE, "body": json.dumps(sample_body(n))})
        ids += pipe.execute()
    while client.xreadgroup(p2.stream_group, "crashed:1", {stream: ">"}, count=10_000):
        pass  # the consumer that read everything and died
    exhausted = ids[::EXHAUSTED_EVERY]
    chosen = set(exhausted)
    idle = p2.dlq_min_idle_ms + 600_000
    for group_ids, times in ((exhausted, p2.dlq_max_deliveries), ([i for i in ids if i not in chosen], 1)):
        for start in range(0, len(group_ids), CHUNK):
            client.xclaim(stream, p2.stream_group, "crashed:1", 0, group_ids[start:start + CHUNK], idle=idle,
                          retrycount=times, justid=True)
    at = datetime.now(UTC).isoformat()
    history = json.dumps([{"consumer": "crashed:1", "error": "RuntimeError: bench poison", "at": at}] * 3)
    for start in range(0, len(exhausted), CHUNK):
        client.hset(errors, mapping={i: history for i in exhausted[start:start + CHUNK]})
    return len(exhausted)


class Copy:
    """One side's inbox, refilled from the template before each repetition."""

    def __init__(self, client, instance_id: str, template: tuple[str, str]):
        from scheduler_project.redis_store import keys

        self.client, self.instance_id, self.template = client, instance_id, template
        self.stream, self.errors, self.dlq = keys.inbox(instance_id), keys.errors(instance_id), keys.dlq(instance_id)

    def refill(self) -> None:
        self.client.delete(self.dlq)
        for source, target in zip(self.template, (self.stream, self.errors)):
            self.client.copy(source, target, replace=True)


def sweep_ours(side: Copy) -> dict:
    from instances_app import presence, sweeper

    side.refill()
    presence.announce(side.instance_id)  # a live instance: no adoption, as for a crashed consumer
    totals = {"handled": 0, "dead_lettered": 0}
    deadline = time.monotonic() + DEADLINE_SECONDS
    started = time.perf_counter()
    while True:
        stats = sweeper.sweep_inbox(side.instance_id)
        if not stats["claimed"]:
            break
        totals["handled"] += stats["handled"]
        totals["dead_lettered"] += stats["dead_lettered"]
        if time.monotonic() > deadline:
            raise TimeoutError(f"sweep not done in {DEADLINE_SECONDS:.0f}s: {totals}")
    return {**totals, "seconds": time.perf_counter() - started}


def sweep_raw(side: Copy) -> dict:
    from instances_app import inbox

    p2 = inbox.p2()
    client, group, me = side.client, p2.stream_group, "raw-sweeper"
    side.refill()
    totals = {"handled": 0, "dead_lettered": 0}
    deadline = time.monotonic() + DEADLINE_SECONDS
    started = time.perf_counter()
    cursor = "0-0"
    while True:
        cursor, entries, *_ = client.xautoclaim(side.stream, group, me, p2.dlq_min_idle_ms, start_id=cursor,
                                                count=p2.dlq_scan_count)
        if entries:
            rows = client.xpending_range(side.stream, group, min=entries[0][0], max=entries[-1][0],
                                         count=len(entries), consumername=me)
            times = {row["message_id"]: int(row["times_delivered"]) for row in rows}
            dead = [(i, f) for i, f in entries if times[i] > p2.dlq_max_deliveries]
            histories = client.hmget(side.errors, [i for i, _ in dead]) if dead else []
            pipe = client.pipeline(transaction=False)
            moved_at = datetime.now(UTC).isoformat()
            for (entry_id, fields), found in zip(dead, histories):
                history = json.loads(found or "[]")
                pipe.xadd(side.dlq, {**fields, "source_id": entry_id, "instance_id": side.instance_id,
                                     "reason": history[-1]["error"] if history else "never acknowledged",
                                     "deliveries": str(times[entry_id] - 1), "history": json.dumps(history),
                                     "moved_at": moved_at}, maxlen=p2.dlq_maxlen, approximate=True)
            gone = {i for i, _ in dead}
            for entry_id, fields in entries:
                if entry_id not in gone:
                    noop(side.instance_id, json.loads(fields["body"]))
            ids = [i for i, _ in entries]
            pipe.xack(side.stream, group, *ids)
            if gone:
                pipe.xdel(side.stream, *gone)
            pipe.hdel(side.errors, *ids)
            pipe.execute()
            totals["handled"] += len(entries) - len(dead)
            totals["dead_lettered"] += len(dead)
        if cursor == "0-0" or time.monotonic() > deadline:
            break
    return {**totals, "seconds": time.perf_counter() - started}


def measure(sweep, side: Copy, p: int, exhausted: int):
    def once() -> float:
        done = sweep(side)
        if (done["handled"], done["dead_lettered"]) != (p - exhausted, exhausted):
            raise AssertionError(f"{sweep.__name__} left the pending list unprocessed: {done}, P={p}, "
                                 f"exhausted={exhausted}")
        return done["seconds"]

    return once


def run(report: harness.Report, quick: bool) -> None:
    from scheduler_project.redis_store import keys

    sizes = [(1_000, 7), (10_000, 5)] if quick else [(1_000, 7), (10_000, 5), (100_000, 3)]
    per_entry: dict[int, dict[str, float]] = {}
    # owner_ttl at its maximum: the instance stays live through the longest sweep, as in production
    with phase2_for_bench(owner_ttl_seconds=3600), logs_to_devnull():
        from instances_app import inbox

        p2 = inbox.p2()
        client = raw_client()
        template = (keys.inbox("bench-b5-template"), keys.errors("bench-b5-template"))
        ours, raw = Copy(client, "bench-b5-ours", template), Copy(client, "bench-b5-raw", template)
        for p, reps in sizes:
            exhausted = build(client, p, *template)
            samples = harness.interleaved(reps, {"ours": measure(sweep_ours, ours, p, exhausted),
                                                 "baseline": measure(sweep_raw, raw, p, exhausted)})
            t_ours, t_raw = harness.median(samples["ours"]), harness.median(samples["baseline"])
            per_entry[p] = {"ours": t_ours / p * 1e6, "baseline": t_raw / p * 1e6}
            report.add("B5", f"sweep P={p}", p / t_ours, p / t_raw, "entries/s", target=0.7, target_text=">= 0.7x",
                       samples={name: [p / s for s in values] for name, values in samples.items()},
                       notes=f"{exhausted} moved to the DLQ, {p - exhausted} redelivered; median of {reps}")
            report.add("B5", f"per entry P={p}", per_entry[p]["ours"], per_entry[p]["baseline"], "us",
                       higher_is_better=False)
        settings = {"sizes": [p for p, _ in sizes], "repetitions": [r for _, r in sizes],
                    "exhausted_share": 1 / EXHAUSTED_EVERY, "dlq_scan_count": p2.dlq_scan_count,
                    "dlq_max_deliveries": p2.dlq_max_deliveries, "dlq_min_idle_ms": p2.dlq_min_idle_ms,
                    "dlq_maxlen": p2.dlq_maxlen, "per_entry_us": per_entry}
    report.note_settings("B5", **settings)
    small, large = min(per_entry), max(per_entry)
    growth = {name: per_entry[large][name] / per_entry[small][name] for name in ("ours", "baseline")}
    report.add("B5", f"per-entry time growth P={small}->{large}", growth["ours"], growth["baseline"], "x",
               higher_is_better=False, target=1.25, target_text="flat: <= 1.25x raw's growth",
               notes="ours' per-entry time at the largest P over the smallest, against the raw loop's")
