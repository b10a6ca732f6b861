"""Helpers for the observability tests: scrapes of the metrics as dicts, the platform's
config edited before its processes start, waiting for an HTTP answer. (Tests take the
shared `redis_prefix` fixture, so parallel test processes never share counters.)"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families


def samples(text: str) -> dict[tuple, float]:
    """{(sample name, ((label, value), ...)): value} from exposition text."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def scrape_platform() -> dict[tuple, float]:
    """What the platform collector exports now."""
    from monitoring_app.metrics import PlatformCollector

    registry = CollectorRegistry()
    registry.register(PlatformCollector())
    return samples(generate_latest(registry).decode())


def wait_for_http(url: str, timeout: float, what: str, **kwargs):
    """Wait until url answers anything, even 4xx (a Response is falsy then); returns the response."""
    import requests

    from tests.support.processes import wait_for

    def answered():
        try:
            return [requests.get(url, timeout=2, **kwargs)]
        except requests.RequestException:
            return None

    return wait_for(answered, timeout, what)[0]
