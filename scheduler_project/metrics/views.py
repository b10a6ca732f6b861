"""GET /metrics: django-prometheus's HTTP and database metrics plus the platform collectors.

Under gunicorn, `manage.py serve` sets PROMETHEUS_MULTIPROC_DIR for the api role: every
worker process writes its prometheus_client values to files there, and a scrape, whichever
worker answers it, sums all of them (prometheus_client's multiprocess mode). The default
registry would then hold only the answering worker's own values, so the scrape-time
collectors (ours and workers_app's, which read Redis and the database and are the same in
every process) are added to the per-scrape registry here. django-prometheus's own view
would leave them out in that mode.
"""

import os

from django.http import HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess


def scrape_time_collectors() -> list:
    from scheduler_project.metrics.collector import PlatformCollector
    from workers_app.metrics import RegistryCollector

    return [PlatformCollector(), RegistryCollector()]


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get("prometheus_multiproc_dir")


def metrics(request):
    if multiprocess_dir():
        registry = CollectorRegistry(auto_describe=False)
        multiprocess.MultiProcessCollector(registry)
        for collector in scrape_time_collectors():
            registry.register(collector)
    else:
        registry = REGISTRY
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
