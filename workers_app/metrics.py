"""Gauges read from the database at scrape time, so every api process reports the same
values: the registry is the record, not any one process's memory."""

import logging

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY

log = logging.getLogger(__name__)


class RegistryCollector:
    def describe(self):
        # Without describe(), registering calls collect(): a query during app start-up.
        yield GaugeMetricFamily("scheduler_nodes_total", "", labels=["status"])
        yield GaugeMetricFamily("worker_load_percentage", "", labels=["worker_id"])
        yield GaugeMetricFamily("taskplane_worker_stalled", "", labels=["worker_id"])
        yield GaugeMetricFamily("taskplane_runs_unroutable", "")

    def collect(self):
        from django.db.models import Count

        from workers_app.models import Worker
        from workers_app.services.health import unroutable_runs

        try:
            by_status = dict(Worker.objects.values_list("status").annotate(n=Count("pk")))
            workers = list(Worker.objects.exclude(status=Worker.Status.OFFLINE).values_list(
                "worker_id", "load", "stalled_since"))
            unroutable = unroutable_runs().count()
        except Exception as exc:  # no database reachable: scrape the rest
            log.warning("registry metrics unavailable: %s", exc)
            return
        nodes = GaugeMetricFamily("scheduler_nodes_total", "Worker nodes by status", labels=["status"])
        for status in Worker.Status.values:
            nodes.add_metric([status], by_status.get(status, 0))
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


_registered = False


def register() -> None:
    global _registered
    if not _registered:
        REGISTRY.register(RegistryCollector())
        _registered = True
