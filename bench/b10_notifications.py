"""B10, notifications (issue 17): what they cost the engine, and how fast they arrive.

latency: the control role (real process) receives 100 `finished` events a second for 30 s
(quick: 10 s), each concluding a run as failed: the engine's own path (control.run_event ->
conclude_attempt), each run of a task of its own so that each failure is a state change and so
a notification (one task failing 3,000 times in a row is, by design, one message). A local HTTP
server is the webhook. Figures: from the run's conclusion (the notification row, written in the
concluding transaction) to the receiver, p50 and p99; and from the worker's `finished` report
(this process publishing it) to the receiver. Events are published open-loop by a few threads,
as worker nodes would.

cost: B1 (bench/b1_throughput.py: N runs of `true`, triggered one after another, until all
succeeded) on two platforms side by side, interleaved: `[notifications] enabled = false`
(baseline) and enabled with a global rule covering the task (`failed`, `recovered`: every
conclusion goes through the receiver, as in production, and writes nothing). And a third
variant, enabled with a `succeeded` rule: one notification written and delivered per run.
Target: the enabled figure within 10% of the disabled one.
"""

from __future__ import annotations

import queue
import threading
import time
from contextlib import ExitStack

from bench import brokers
from bench.harness import interleaved, median, percentile

RATE = 100.0
SENDERS = 4


def _group(popen):
    import psutil

    root = psutil.Process(popen.pid)
    return [root, *root.children(recursive=True)]


def _receiver():
    from tests.notifications.helpers import Receiver

    return Receiver()


def _publish_open_loop(events: list[dict], rate: float, queue_name: str) -> tuple[dict[int, float], float]:
    from celery import current_app

    from scheduler_project import wire

    arrivals: queue.Queue = queue.Queue()
    sent: dict[int, float] = {}

    def sender():
        while (event := arrivals.get()) is not None:
            sent[event["run_id"]] = time.time()
            current_app.send_task(wire.RUN_EVENT, args=[event], queue=queue_name)

    threads = [threading.Thread(target=sender, daemon=True) for _ in range(SENDERS)]
    for thread in threads:
        thread.start()
    t0 = time.time()
    for i, event in enumerate(events):
        delay = t0 + i / rate - time.time()
        if delay > 0:
            time.sleep(delay)
        arrivals.put(event)
    for _ in threads:
        arrivals.put(None)
    for thread in threads:
        thread.join(timeout=120)
    return sent, len(events) / max(1e-9, max(sent.values()) - min(sent.values()))


def _empty_notification_tables() -> None:
    from notifications_app.models import Alert, Channel, DeliveryAttempt, Notification, Rule, TaskHealth

    for model in (DeliveryAttempt, Notification, Alert, Rule, TaskHealth, Channel):
        model.objects.all().delete()


def _latency(report, quick: bool) -> None:
    from django.utils import timezone

    from notifications_app.models import Channel, Notification, Rule
    from tasks_app import states
    from tasks_app.models import Run, Task

    seconds = 10 if quick else 30
    count = int(RATE * seconds)
    platform = brokers.bench_platform("taskplane-bench-b8-", "redis_stream", brokers.BROKERS["redis"][1]())
    receiver = _receiver()
    try:
        with brokers.this_process_on(platform.config):
            platform.start("control")
            platform.start("dispatcher")
            tag = f"b8-{platform.uid}"
            channel = Channel.objects.create(name=f"b8-{platform.uid}", type="webhook", url=receiver.url)
            Rule.objects.create(channel=channel, tags=[tag], events=["failed"])
            tasks = Task.objects.bulk_create([
                Task(name=f"b8-{platform.uid}-{i}", type="shell", spec={"command": "false"}, max_retries=0, tags=[tag],
                     timeout_seconds=60) for i in range(count)])
            now = timezone.now()
            runs = Run.objects.bulk_create([
                Run(task=t, status=states.RUNNING, trigger=Run.Trigger.MANUAL, attempt=1, fence="b8", worker="bench",
                    node="worker@bench", started_at=now) for t in tasks])
            events = [{"kind": "finished", "run_id": r.pk, "attempt": 1, "fence": "b8", "worker": "bench",
                       "node": "worker@bench", "status": "failed", "exit_code": 1, "stdout": "bench\n"} for r in runs]
            brokers.wait_until(lambda: "ready" in platform.log("control"), 60, "the control role")
            time.sleep(2)
            sent, achieved = _publish_open_loop(events, RATE, platform.mq.status_queue)
            # The control role may apply the events slower than they are offered (a 2-core machine):
            # the backlog shows in the report->webhook figure and in the conclusion rate below.
            brokers.wait_until(lambda: len(receiver.requests) >= count, 900, f"{count} notifications")
            arrived = {}
            for request in receiver.requests:
                arrived[int(request["headers"]["X-Taskplane-Delivery"])] = request["at"]
            rows = Notification.objects.filter(channel=channel).values_list("pk", "run_id", "created_at")
            from_conclusion = [arrived[pk] - created.timestamp() for pk, _, created in rows if pk in arrived]
            from_report = [arrived[pk] - sent[run_id] for pk, run_id, _ in rows if pk in arrived]
            duplicates = len(receiver.requests) - len(arrived)
            created = sorted(c.timestamp() for _, _, c in rows)
            concluded_rate = len(created) / max(1e-9, created[-1] - created[0])
    finally:
        receiver.stop()
        platform.stop()
    notes = (f"{count} failing runs offered at {RATE:g}/s for {seconds} s (published at {achieved:.0f}/s), one "
             f"task each, global tag rule; concluded by the control role at {concluded_rate:.0f}/s; "
             f"{len(from_conclusion)} delivered, {duplicates} duplicates")
    for name, values in (("conclusion->webhook", from_conclusion), ("worker report->webhook", from_report)):
        for p in (50, 99):
            report.add("B10", f"latency {name} p{p}", percentile(values, p) * 1000, None, "ms",
                       higher_is_better=False, notes=notes)
    report.add("B10", "failing runs concluded (with their notifications)", concluded_rate, None, "runs/s", notes=notes)
    report.note_settings("B10", latency_runs=count, offered_rate=RATE, published_rate=round(achieved, 1),
                         concluded_rate=round(concluded_rate, 1))


def _cost(report, quick: bool) -> None:
    from notifications_app.models import Channel, Rule
    from tasks_app.models import Task

    n, reps = (60, 3) if quick else (300, 5)
    brokers.empty_engine_tables()
    url = brokers.BROKERS["redis"][1]()
    receiver = _receiver()
    sides = {}
    with ExitStack() as stack:
        stack.callback(receiver.stop)
        for name, enabled in (("disabled", False), ("enabled", True), ("per_run", True)):
            platform = brokers.bench_platform(f"taskplane-bench-b8-{name}-", "redis_stream", url)
            if not enabled:
                text = platform.config_file.read_text().replace("[notifications]\n", "[notifications]\nenabled = false\n")
                platform.config_file.write_text(text)
                platform.reconfigure()
            stack.callback(platform.stop)
            with brokers.this_process_on(platform.config):
                platform.start("control")
                platform.start("worker")
                task = Task.objects.create(name=f"b8-{name}-{platform.uid}", type="shell", spec={"command": "true"})
            sides[name] = (platform, task)
        channel = Channel.objects.create(name=f"b8-cost-{sides['enabled'][0].uid}", type="webhook", url=receiver.url)
        Rule.objects.create(channel=channel, events=["failed", "recovered"])  # global: covers every task
        Rule.objects.create(channel=channel, task=sides["per_run"][1], events=["succeeded"])
        for platform, task in sides.values():  # warm up each side
            with brokers.this_process_on(platform.config):
                brokers.wait_runs_final(brokers.trigger_runs(task, 10), timeout=120)

        cpu = {name: 0.0 for name in sides}

        def side(name):
            platform, task = sides[name]

            def measure():
                control = [p for started, p in platform.processes if started == "control"][0]
                groups = {"control": _group(control)}
                with brokers.this_process_on(platform.config):
                    before = brokers.cpu_seconds(groups)
                    start = time.perf_counter()
                    ids = brokers.trigger_runs(task, n)
                    brokers.wait_runs_final(ids, timeout=60 + n)
                    elapsed = time.perf_counter() - start
                    cpu[name] += brokers.cpu_seconds(groups)["control"] - before["control"]
                    return n / elapsed
            return measure

        samples = interleaved(reps, {name: side(name) for name in sides})
        delivered = len(receiver.requests)
    notes = f"B1's loop: {n} runs of `true` per repetition, {reps} repetitions, Redis broker, one platform per side"
    base = median(samples["disabled"])
    report.add("B10", "B1 with notifications (rule, nothing to send)", median(samples["enabled"]), base, "runs/s",
               target=0.9, target_text=">= 0.9x (cost < 10%)", samples=samples, notes=notes)
    report.add("B10", "B1 with a notification per run", median(samples["per_run"]), base, "runs/s",
               samples=samples, notes=notes + f"; {delivered} notifications delivered")
    per_run = {name: cpu[name] / (n * reps) * 1000 for name in cpu}  # control CPU ms per run
    report.add("B10", "control CPU per run, notifications enabled", per_run["enabled"], per_run["disabled"], "ms",
               higher_is_better=False, target=1.1, target_text="<= 1.1x (cost < 10%)", notes=notes)
    report.add("B10", "control CPU per run, a notification per run", per_run["per_run"], per_run["disabled"], "ms",
               higher_is_better=False, notes=notes + " (writing, sending and recording each notification)")
    report.note_settings("B10", cost_runs_per_repetition=n, cost_repetitions=reps)


def run(report, quick: bool) -> None:
    failed = None
    for part in (_latency, _cost):
        brokers.empty_engine_tables()
        _empty_notification_tables()
        try:
            part(report, quick)
        except Exception as exc:  # one part's failure must not hide the other's figures
            import traceback

            traceback.print_exc()
            failed = exc
    if failed is not None:
        raise failed
