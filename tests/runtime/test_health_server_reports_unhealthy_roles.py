"""The roles' health endpoint answers 503 when the role cannot do its work: a worker whose
consumer has no broker connection, a beat whose loop stopped ticking. The same port serves the
role's own /metrics for Prometheus."""

import json
import time
from types import SimpleNamespace

from scheduler_project import health_server
from tests.support.processes import http_get


def get(server, path="/health"):
    status, body = http_get(server.port, path, timeout=3)
    return status, json.loads(body)


def serve(role, check):
    return health_server.HealthServer(0, role, check, host="127.0.0.1").start()


def test_a_worker_without_broker_connection_is_unhealthy():
    connection = SimpleNamespace(connected=True)
    worker = SimpleNamespace(hostname="worker@w1", consumer=SimpleNamespace(connection=connection))
    server = serve("worker", health_server.consumer_check(worker))
    try:
        status, body = get(server)
        assert (status, body["status"], body["broker_connected"], body["role"]) == (200, "ok", True, "worker")
        connection.connected = False
        status, body = get(server)
        assert (status, body["status"], body["broker_connected"]) == (503, "unhealthy", False)
        worker.consumer.connection = None  # reconnecting: the consumer has dropped it
        assert get(server)[0] == 503
        assert get(server, "/other")[0] == 404
    finally:
        server.stop()


def test_a_beat_that_stopped_ticking_is_unhealthy(monkeypatch):
    server = serve("dispatcher", health_server.beat_check(max_interval=1))
    try:
        health_server.beat_ticked()
        assert get(server)[0] == 200
        monkeypatch.setattr(health_server, "_last_beat_tick", time.monotonic() - 60)
        status, body = get(server)
        assert status == 503 and body["last_tick_seconds_ago"] >= 60
    finally:
        server.stop()


def test_a_failing_check_is_a_503_not_a_crash():
    def broken():
        raise RuntimeError("no idea")

    server = serve("control", broken)
    try:
        status, body = get(server)
        assert status == 503 and "RuntimeError: no idea" in body["error"]
    finally:
        server.stop()


def test_metrics_are_the_processs_own_and_follow_the_health_check(monkeypatch):
    connection = SimpleNamespace(connected=True)
    worker = SimpleNamespace(hostname="worker@w1", consumer=SimpleNamespace(connection=connection))
    server = serve("worker", health_server.consumer_check(worker))
    try:
        status, text = http_get(server.port, "/metrics", timeout=3)
        assert status == 200
        assert 'scheduler_role_healthy{role="worker"} 1.0' in text
        assert "process_resident_memory_bytes" in text and "python_info" in text
        # Never the platform's cluster-wide series: a worker node has no Redis or database.
        assert "tasks_executed_total" not in text and "scheduler_nodes_total" not in text
        connection.connected = False
        assert 'scheduler_role_healthy{role="worker"} 0.0' in http_get(server.port, "/metrics", timeout=3)[1]
    finally:
        server.stop()
    beat = serve("dispatcher", health_server.beat_check(max_interval=1))
    try:
        monkeypatch.setattr(health_server, "_last_beat_tick", time.monotonic() - 30)
        text = http_get(beat.port, "/metrics", timeout=3)[1]
        assert 'scheduler_role_healthy{role="dispatcher"} 0.0' in text
        assert "scheduler_dispatcher_last_tick_age_seconds 30" in text
    finally:
        beat.stop()
