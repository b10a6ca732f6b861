"""The roles' health endpoint answers 503 when the role cannot do its work: a worker whose
consumer has no broker connection, a beat whose loop stopped ticking."""

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
