"""GET /health and GET /metrics for the roles that serve no HTTP of their own (control, worker,
dispatcher), so that Kubernetes probes and load balancers check every role the same way, without
starting a Python process and a broker connection per probe (`celery inspect ping`), and
Prometheus scrapes every role (deploy/monitoring/prometheus.yml).

Off unless `[observability] health_port` (HEALTH_PORT) is set: on one machine (`serve --mode
all`) the roles would compete for one port, so it is for one-role containers and hosts.

- worker and control: 200 while the consumer holds a broker connection, 503 while it has
  none (it is reconnecting, or it lost the broker for good);
- dispatcher: 200 while beat has ticked within a few of its maximum intervals, 503 when its
  loop is stuck.

/metrics is this process's own: prometheus_client's process_* (CPU, memory, open files) and
python_* series, `scheduler_role_healthy{role}` (1 when /health would answer 200) and, for the
dispatcher, `scheduler_dispatcher_last_tick_age_seconds`. Never the platform's cluster-wide
series: the api exports those (from Redis and the database, which a worker node cannot reach).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from celery import bootsteps
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

from scheduler_project.version import __version__

log = logging.getLogger("taskplane.health")
Check = Callable[[], tuple[bool, dict]]
_last_beat_tick: float | None = None


class HealthServer:
    def __init__(self, port: int, role: str, check: Check, host: str = "0.0.0.0"):
        self.role, self.check = role, check
        self.httpd = ThreadingHTTPServer((host, port), _handler(self))
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, name=f"health-{role}", daemon=True)
        self.registry = CollectorRegistry(auto_describe=False)
        for collector in (ProcessCollector, PlatformCollector, GCCollector):
            collector(registry=self.registry)
        self.registry.register(RoleCollector(self))

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    def start(self) -> HealthServer:
        self.thread.start()
        log.info("health endpoint of the %s role on port %s", self.role, self.port)
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def answer(self) -> tuple[int, dict]:
        try:
            healthy, details = self.check()
        except Exception as exc:  # noqa: BLE001  a failing check is an unhealthy process, not a crash
            healthy, details = False, {"error": f"{type(exc).__name__}: {exc}"}
        from django.conf import settings

        body = {"status": "ok" if healthy else "unhealthy", "role": self.role, "version": __version__,
                "instance_id": settings.INSTANCE_ID, **details}
        return (200 if healthy else 503), body


class RoleCollector:
    """The role's state at scrape time, from the same check as /health."""

    def __init__(self, server: HealthServer | None):
        self.server = server

    def describe(self):
        yield GaugeMetricFamily("scheduler_role_healthy", "1 while this role's GET /health answers 200", labels=["role"])
        yield GaugeMetricFamily("scheduler_dispatcher_last_tick_age_seconds", "Seconds since celery beat last ticked")

    def collect(self):
        status, body = self.server.answer()
        healthy = GaugeMetricFamily("scheduler_role_healthy", "1 while this role's GET /health answers 200",
                                    labels=["role"])
        healthy.add_metric([self.server.role], 1.0 if status == 200 else 0.0)
        yield healthy
        age = body.get("last_tick_seconds_ago")
        if self.server.role == "dispatcher" and age is not None:
            yield GaugeMetricFamily("scheduler_dispatcher_last_tick_age_seconds",
                                    "Seconds since celery beat last ticked", value=age)


def _handler(server: HealthServer):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802  (http.server's naming)
            path = self.path.split("?", 1)[0].rstrip("/")
            if path == "/health":
                return self._send(*server.answer())
            if path == "/metrics":
                return self._send(200, generate_latest(server.registry), CONTENT_TYPE_LATEST)
            return self._send(404, {"error": f"no such endpoint: {self.path}"})

        def _send(self, status: int, body: dict | bytes, content_type: str = "application/json"):
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format, *args):  # probes every few seconds: not worth a log line each
            pass

    return Handler


def consumer_check(worker) -> Check:
    """A Celery worker (control or execution role): healthy while its consumer is connected."""

    def check():
        consumer = getattr(worker, "consumer", None)
        connection = getattr(consumer, "connection", None)
        connected = bool(connection is not None and connection.connected)
        return connected, {"broker_connected": connected, "hostname": worker.hostname}

    return check


def note(**values) -> None:
    """What the role wants its /health to say beside its own check (the dispatcher: whether a
    control role is alive, and the warning when none is). Notes never make it unhealthy: a
    probe restarting the dispatcher would not bring a control role."""
    _notes.update(values)


_notes: dict = {}


def beat_ticked() -> None:
    """Called by beat's scheduler on every tick."""
    global _last_beat_tick
    _last_beat_tick = time.monotonic()


def beat_check(max_interval: float) -> Check:
    """Beat sleeps at most max_interval between ticks: three of them without one is a stuck loop."""

    def check():
        if _last_beat_tick is None:
            return True, {"last_tick_seconds_ago": None, **_notes}  # starting up: the liveness delay covers it
        age = time.monotonic() - _last_beat_tick
        return age <= 3 * max_interval + 5, {"last_tick_seconds_ago": round(age, 1), **_notes}

    return check


def _port() -> int:
    from django.conf import settings

    return settings.TP.observability.health_port


class WorkerHealth(bootsteps.StartStopStep):
    """The health endpoint of a Celery worker (control and worker roles): one per process, for
    its whole life (a consumer step would close it on every broker reconnect)."""

    def __init__(self, worker, **kwargs):
        self.server: HealthServer | None = None
        super().__init__(worker, **kwargs)

    def start(self, worker):
        if _port():
            role = "control" if worker.hostname.startswith("control@") else "worker"
            self.server = HealthServer(_port(), role, consumer_check(worker)).start()

    def stop(self, worker):
        if self.server:
            self.server.stop()
            self.server = None


def start_for_beat(service) -> HealthServer | None:
    """From celery's beat_init signal (the dispatcher role)."""
    if not _port():
        return None
    return HealthServer(_port(), "dispatcher", beat_check(service.scheduler.max_interval)).start()
