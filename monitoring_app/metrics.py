"""The platform's metrics, computed at scrape time in the api process (GET /metrics: views.py).

- Counters and histograms from Redis (definitions.METRICS, written by counters.py from
  whichever process counted).
- Multi-instance state from Redis: instances present, the leader, inbox pending, DLQ depth.
- Gauges from the database (monitoring_app.readings): runs by status, dead runs, worker
  heartbeats, the worker registry.

Every api process of every instance exports the same cluster-wide values: aggregate them
across scrape targets with max(), never sum() (README "Observability"). describe() lists
the families without touching Redis or the database, so registering runs no query.
"""

from __future__ import annotations

import itertools
import json
import logging

from django.utils import timezone
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.utils import floatToGoString

from instances_app import deadletters, inbox, presence, sessions
from monitoring_app import readings
from notifications_app import sla as notification_sla
from notifications_app.models import Notification
from scheduler_project.metrics import counters
from scheduler_project.metrics.counters import metric_key
from scheduler_project.metrics.definitions import METRICS
from scheduler_project.redis_store.client import get_redis
from workers_app.models import Worker

log = logging.getLogger("taskplane.metrics")

GAUGES = {
    "taskplane_instance_present": ("1 for each control-plane instance whose presence key exists", ["instance_id"]),
    "taskplane_instance_leader": ("1 for the instance holding the leader lease", ["instance_id"]),
    "scheduler_phase2_inbox_pending": ("Inbox entries delivered and not yet acknowledged", ["instance_id"]),
    "scheduler_phase2_dlq_depth": ("Entries in an instance's dead-letter stream", ["instance_id"]),
    "scheduler_sessions_total": ("Live event streams (SSE sessions) connected to the instances", []),
    "scheduler_jobs_total": ("Runs by status: active ones all, final ones created in the last 24 h", ["status"]),
    "taskplane_runs_dead": ("Dead runs (retries exhausted, replayable): the run dead-letter queue", []),
    "taskplane_worker_heartbeat_age_seconds": ("Seconds since each worker's last heartbeat", ["worker_id"]),
    "taskplane_worker_running": ("Executions running on each worker at its last heartbeat", ["worker_id"]),
    # Run-level SLAs (notifications_app.sla): 1 per task in breach under some rule; only tasks
    # with an active alert appear (bounded by the tasks that have SLAs, and at most 500 series).
    "taskplane_task_late": ("1 while a scheduled fire of the task has no successful run within its grace window", ["task"]),
    "taskplane_task_stale": ("1 while the task's last success is older than its freshness window", ["task"]),
    "taskplane_task_long_running": ("1 while a run of the task runs longer than its duration SLA", ["task"]),
    "taskplane_notifications_pending": ("Notifications written and not yet delivered or given up", []),
    "taskplane_notifications_failed": ("Notifications given up (failed) in the last 24 h", []),
    "taskplane_metrics_source_up": ("1 when the scrape could read this source (redis, database)", ["source"]),
}


def _family(metric):
    if metric.kind == "counter":
        return CounterMetricFamily(metric.name, metric.help, labels=list(metric.labels))
    return HistogramMetricFamily(metric.name, metric.help, labels=list(metric.labels))


class PlatformCollector:
    def describe(self):
        for metric in METRICS.values():
            yield _family(metric)
        for name, (doc, labels) in GAUGES.items():
            yield GaugeMetricFamily(name, doc, labels=labels)

    def collect(self):
        families = []
        up = GaugeMetricFamily("taskplane_metrics_source_up", GAUGES["taskplane_metrics_source_up"][0],
                               labels=["source"])
        for source, read in (("redis", self._from_redis), ("database", self._from_database)):
            try:
                families += list(read())
                up.add_metric([source], 1)
            except Exception as exc:  # noqa: BLE001  one unreachable source must not fail the scrape
                log.warning("metrics from %s unavailable: %s", source, exc)
                up.add_metric([source], 0)
        yield from families
        yield up

    # --- Redis
    def _from_redis(self):
        counters.write_pending()  # what this process counted and still keeps (counters.COALESCE_SECONDS)
        pipe = get_redis().pipeline(transaction=False)
        for name in METRICS:
            pipe.hgetall(metric_key(name))
        stored_all = pipe.execute()
        live = presence.live_instances()
        known = {"instance_id": tuple(sorted(item["instance_id"] for item in live))}
        for metric, stored in zip(METRICS.values(), stored_all):
            yield (_counter if metric.kind == "counter" else _histogram)(metric, stored or {}, known)

        present = self._gauge("taskplane_instance_present")
        leader = self._gauge("taskplane_instance_leader")
        for item in live:
            present.add_metric([item["instance_id"]], 1)
            leader.add_metric([item["instance_id"]], 1 if item["leader"] else 0)
        pending = self._gauge("scheduler_phase2_inbox_pending")
        for instance, count in sorted(inbox.pending_counts().items()):
            pending.add_metric([instance], count)
        dlq = self._gauge("scheduler_phase2_dlq_depth")
        for instance, depth in sorted(deadletters.depths().items()):
            dlq.add_metric([instance], depth)
        live = self._gauge("scheduler_sessions_total")
        live.add_metric([], sessions.count())
        yield from (present, leader, pending, dlq, live)

    # --- database
    def _from_database(self):
        now = timezone.now()
        jobs = self._gauge("scheduler_jobs_total")
        for status, n in readings.runs_by_status(now).items():
            jobs.add_metric([status], n)
        dead = GaugeMetricFamily("taskplane_runs_dead", GAUGES["taskplane_runs_dead"][0], value=readings.dead_runs())
        age = self._gauge("taskplane_worker_heartbeat_age_seconds")
        running = self._gauge("taskplane_worker_running")
        for worker_id, beat, executions in Worker.objects.exclude(status=Worker.Status.OFFLINE).values_list(
            "worker_id", "last_heartbeat", "running"
        ):
            age.add_metric([worker_id], round(max(0.0, (now - beat).total_seconds()), 1))
            running.add_metric([worker_id], len(executions or []))
        yield from (jobs, dead, age, running)
        yield from self._notifications(now)

    def _notifications(self, now):
        gauges = {kind: self._gauge(f"taskplane_task_{kind}") for kind in ("late", "stale", "long_running")}
        for task, kind in notification_sla.active_alerts():
            gauges[kind].add_metric([task], 1)
        yield from gauges.values()
        pending = Notification.objects.filter(status__in=[Notification.Status.PENDING, Notification.Status.SENDING])
        yield GaugeMetricFamily("taskplane_notifications_pending", GAUGES["taskplane_notifications_pending"][0],
                                value=pending.count())
        failed = Notification.objects.filter(status=Notification.Status.FAILED,
                                             created_at__gte=now - timezone.timedelta(hours=24))
        yield GaugeMetricFamily("taskplane_notifications_failed", GAUGES["taskplane_notifications_failed"][0],
                                value=failed.count())

    @staticmethod
    def _gauge(name: str) -> GaugeMetricFamily:
        doc, labels = GAUGES[name]
        return GaugeMetricFamily(name, doc, labels=labels)


def _zero_series(metric, known: dict) -> list[str]:
    """The label fields (as counters.label_field writes them) of every series the metric is known
    to have: exported as 0 until counted (definitions.Metric.zero)."""
    values = {**known, **dict(metric.zero)}
    if not all(values.get(label) for label in metric.labels):
        return [] if metric.labels else [json.dumps([])]
    return [json.dumps(list(combo), separators=(",", ":"))
            for combo in itertools.product(*(values[label] for label in metric.labels))]


def _counter(metric, stored: dict, known: dict | None = None):
    family = _family(metric)
    stored = {**dict.fromkeys(_zero_series(metric, known or {}), 0), **stored}
    for field, value in sorted(stored.items()):
        family.add_metric(json.loads(field), float(value))
    return family


def _histogram(metric, stored: dict, known: dict | None = None):
    """Bucket counts are stored non-cumulative (one HINCRBY per observation); Prometheus
    wants them cumulative, ending with +Inf = the count."""
    series: dict[str, dict] = {labels: {} for labels in _zero_series(metric, known or {})}
    for field, value in stored.items():
        kind, _, rest = field.partition(":")
        if kind == "b":
            bound, _, labels = rest.partition(":")
            series.setdefault(labels, {}).setdefault("buckets", {})[bound] = int(value)
        elif kind == "sum":
            series.setdefault(rest, {})["sum"] = float(value)
    family = _family(metric)
    for labels, data in sorted(series.items()):
        stored_buckets, total, buckets = data.get("buckets", {}), 0, []
        for bound in metric.buckets:
            total += stored_buckets.get(repr(float(bound)), 0)
            buckets.append((floatToGoString(bound), total))
        buckets.append(("+Inf", total + stored_buckets.get("+Inf", 0)))
        family.add_metric(json.loads(labels), buckets, data.get("sum", 0.0))
    return family


class RegistryCollector:
    """Gauges of the worker registry, read from the database at scrape time, so every api process
    reports the same values: the registry is the record, not any one process's memory."""

    def describe(self):
        # Without describe(), registering calls collect(): a query during app start-up.
        yield GaugeMetricFamily("scheduler_nodes_total", "", labels=["status"])
        yield GaugeMetricFamily("worker_load_percentage", "", labels=["worker_id"])
        yield GaugeMetricFamily("taskplane_worker_stalled", "", labels=["worker_id"])
        yield GaugeMetricFamily("taskplane_runs_unroutable", "")

    def collect(self):
        try:
            by_status = readings.workers_by_status()
            workers = list(Worker.objects.exclude(status=Worker.Status.OFFLINE).values_list(
                "worker_id", "load", "stalled_since"))
            unroutable = readings.unroutable()
        except Exception as exc:  # no database reachable: scrape the rest
            log.warning("registry metrics unavailable: %s", exc)
            return
        nodes = GaugeMetricFamily("scheduler_nodes_total", "Worker nodes by status", labels=["status"])
        for status in Worker.Status.values:
            nodes.add_metric([status], by_status[status])
        load = GaugeMetricFamily("worker_load_percentage", "Running executions / concurrency, percent", labels=["worker_id"])
        stalled = GaugeMetricFamily(
            "taskplane_worker_stalled", "1 while a worker heartbeats but takes no work from a backlog", labels=["worker_id"]
        )
        for worker_id, worker_load, stalled_since in workers:
            load.add_metric([worker_id], round(worker_load * 100, 1))
            stalled.add_metric([worker_id], 1 if stalled_since else 0)
        yield nodes
        yield load
        yield stalled
        yield GaugeMetricFamily(
            "taskplane_runs_unroutable", "Waiting runs whose queue no online worker consumes (node selection failures)",
            value=unroutable,
        )


def scrape_time_collectors() -> list:
    return [PlatformCollector(), RegistryCollector()]


_registered = False


def register() -> None:
    """Into the default registry (single-process /metrics, tests); views.py adds the same
    collector to the per-scrape registry in multiprocess mode."""
    global _registered
    from prometheus_client.registry import REGISTRY

    if not _registered:
        for collector in scrape_time_collectors():
            REGISTRY.register(collector)
        _registered = True
