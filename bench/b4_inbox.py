"""B4: inbox delivery, from the first XADD to the last XACK, against a raw redis-py loop.

ours: a producer process calls instances_app.inbox.enqueue() M times (XADD MAXLEN ~ of the
platform's fields, op accounting, the "Enqueued to instance inbox" log line) while this process
calls inbox.read_and_handle(), the round the control role's InboxReader repeats (XREADGROUP COUNT
stream_count BLOCK stream_block_ms, the registered handler per entry, one XACK of the batch),
until all M are acknowledged.

baseline: the same two processes in raw redis-py: XADD of the same fields with the same MAXLEN ~,
XREADGROUP with the same COUNT and BLOCK, json.loads of the body and the same no-op handler, one
XACK per batch. Both use one server, one message type, one body per message.

Also reported, without a target: the two halves apart (enqueue all M, then drain them), the CPU
time per message of producer and consumer, and the platform's enqueue with its per-message INFO
log line off: together they say where any difference comes from.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import resource
import time

from bench import harness
from bench.inbox_common import NOOP_TYPE, logs_to_devnull, noop, phase2_for_bench, raw_client, sample_body

DEADLINE_SECONDS = 120.0


class Side:
    """One way of delivering: reset() to a fresh stream and group, produce(bodies), consume_round()."""

    def reset(self) -> None: ...
    def produce(self, bodies: list[dict]) -> None: ...
    def consume_round(self) -> int: ...


class Platform(Side):
    def __init__(self, instance_id: str):
        from instances_app import inbox
        from scheduler_project.redis_store import keys
        from scheduler_project.redis_store.client import get_redis

        self.inbox, self.instance_id, self.consumer = inbox, instance_id, f"{instance_id}:1"
        self.keys = [keys.inbox(instance_id), keys.errors(instance_id)]
        self.client = get_redis()

    def reset(self) -> None:
        self.client.delete(*self.keys)
        self.inbox.ensure_group(self.instance_id)

    def produce(self, bodies: list[dict]) -> None:
        for body in bodies:
            self.inbox.enqueue(self.instance_id, NOOP_TYPE, body)

    def consume_round(self) -> int:
        return self.inbox.read_and_handle(self.instance_id, self.consumer)


class Raw(Side):
    def __init__(self, stream: str):
        from instances_app import inbox

        p2 = inbox.p2()
        self.client, self.stream, self.consumer = raw_client(), stream, "raw:1"
        self.group, self.count, self.block = p2.stream_group, p2.stream_count, p2.stream_block_ms
        self.maxlen = p2.stream_maxlen

    def reset(self) -> None:
        self.client.delete(self.stream)
        self.client.xgroup_create(self.stream, self.group, id="0", mkstream=True)

    def produce(self, bodies: list[dict]) -> None:
        for body in bodies:
            self.client.xadd(self.stream, {"type": NOOP_TYPE, "body": json.dumps(body)}, maxlen=self.maxlen,
                             approximate=True)

    def consume_round(self) -> int:
        reply = self.client.xreadgroup(self.group, self.consumer, {self.stream: ">"}, count=self.count,
                                       block=self.block)
        done = []
        for _, entries in reply or []:
            for entry_id, fields in entries:
                noop("raw", json.loads(fields["body"]))
                done.append(entry_id)
        if done:
            self.client.xack(self.stream, self.group, *done)
        return len(done)


def drain(side: Side, m: int, check=lambda: None) -> int:
    """Consume until m are acknowledged; returns how many rounds (XREADGROUP calls) it took."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    total = rounds = 0
    while total < m:
        check()
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {total} of {m} messages acknowledged in {DEADLINE_SECONDS:.0f}s")
        total += side.consume_round()
        rounds += 1
    return rounds


def _produce_when_told(side: Side, bodies: list[dict], go) -> None:
    if not go.wait(DEADLINE_SECONDS):
        raise TimeoutError("never told to start")
    side.produce(bodies)


def end_to_end(side: Side, bodies: list[dict]) -> tuple[float, float, float, int]:
    """Seconds from the first XADD to the last XACK, the CPU seconds of the consumer (this
    process) and of the producer, and the consumer's rounds. The producer is a forked process, as producers are other
    processes than the control role's reader: in one process the two would share a GIL, and
    the ratio would measure its handoffs."""
    side.reset()
    context = multiprocessing.get_context("fork")
    go = context.Event()
    producer = context.Process(target=_produce_when_told, args=(side, bodies, go), name="b4-producer", daemon=True)
    producer.start()

    def check():
        if producer.exitcode not in (None, 0):
            raise RuntimeError(f"producer exited with {producer.exitcode}")

    children_cpu = _children_cpu()
    cpu = time.process_time()
    started = time.perf_counter()
    go.set()
    try:
        rounds = drain(side, len(bodies), check)
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu
        producer.join(DEADLINE_SECONDS)
        return elapsed, cpu, _children_cpu() - children_cpu, rounds
    finally:
        if producer.is_alive():
            producer.terminate()
            producer.join(5)
        if producer.is_alive():
            producer.kill()
            producer.join(5)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def sample(side: Side, bodies: list[dict]) -> dict:
    """msg/s end to end, enqueue alone and drain alone; CPU us per message of either process end
    to end (the client side's cost, less sensitive than wall time to a busy machine)."""
    m = len(bodies)
    elapsed, consumer_cpu, producer_cpu, rounds = end_to_end(side, bodies)
    side.reset()
    enqueue = harness.timed(lambda: side.produce(bodies))
    drained = harness.timed(lambda: drain(side, m))
    return {"e2e": m / elapsed, "enqueue": m / enqueue, "drain": m / drained,
            "producer_cpu": producer_cpu / m * 1e6, "consumer_cpu": consumer_cpu / m * 1e6,
            "batch": m / rounds}


def enqueue_without_the_log_line(side: Platform, bodies: list[dict]) -> dict:
    """Diagnostic: the platform's enqueue with its per-message INFO line switched off, to show
    what share of the gap that line is (it stays on: the runbook's key event for delivery)."""
    side.reset()
    logger = logging.getLogger("taskplane.instances")
    logger.disabled = True
    try:
        return {"enqueue": len(bodies) / harness.timed(lambda: side.produce(bodies))}
    finally:
        logger.disabled = False


FIGURES = (  # (key, metric, unit, higher_is_better, target)
    ("e2e", "XADD to XACK, end to end", "msg/s", True, 0.7),
    ("enqueue", "enqueue alone", "msg/s", True, None),
    ("drain", "drain alone (read, handle, ack)", "msg/s", True, None),
    ("producer_cpu", "producer CPU per message, end to end", "us", False, None),
    ("consumer_cpu", "consumer CPU per message, end to end", "us", False, None),
    ("batch", "messages per XREADGROUP round, end to end", "msg", True, None),
)


def run(report: harness.Report, quick: bool) -> None:
    from instances_app import inbox
    from scheduler_project.redis_store import keys

    m, reps = (2_000, 5) if quick else (20_000, 7)
    bodies = [sample_body(n) for n in range(m)]
    default_maxlen = inbox.p2().stream_maxlen
    # The drain-alone half needs all M in the stream at once; both sides trim at the same length.
    with phase2_for_bench(stream_maxlen=max(default_maxlen, m)), logs_to_devnull():
        p2 = inbox.p2()
        ours, raw = Platform("bench-b4-ours"), Raw(keys.inbox("bench-b4-raw"))
        samples = harness.interleaved(reps, {"ours": lambda: sample(ours, bodies),
                                             "baseline": lambda: sample(raw, bodies),
                                             "ours_no_log": lambda: enqueue_without_the_log_line(ours, bodies)})
        settings = {"messages": m, "repetitions": reps, "stream_count": p2.stream_count,
                    "stream_block_ms": p2.stream_block_ms, "stream_maxlen": p2.stream_maxlen,
                    "body_bytes": len(json.dumps(bodies[0]))}
    report.note_settings("B4", **settings)
    notes = "median of interleaved repetitions; producer: a forked process, consumer: this one"
    rows = [(key, metric, unit, better, target, "ours") for key, metric, unit, better, target in FIGURES]
    rows.append(("enqueue", "enqueue alone, INFO line off (diagnostic)", "msg/s", True, None, "ours_no_log"))
    for key, metric, unit, higher_is_better, target, variant in rows:
        ours_values = [s[key] for s in samples[variant]]
        raw_values = [s[key] for s in samples["baseline"]]
        report.add("B4", f"{metric} ({m} msgs)", harness.median(ours_values), harness.median(raw_values), unit,
                   higher_is_better=higher_is_better, target=target, target_text=">= 0.7x" if target else "",
                   samples={"ours": ours_values, "baseline": raw_values}, notes=notes)
