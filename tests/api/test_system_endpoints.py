import pytest

from monitoring_app import health as system
from scheduler_project.api.permissions import SYSTEM_READ
from tests.api.resource_suite import Endpoint, ResourceSuite


def _info(ctx, response):
    body = response.json()
    assert body["components"] == {"database": "sqlite", "broker": "redis_stream", "redis": "single"} or body[
        "components"]["database"] == "postgresql"
    assert body["auth_disabled"] is False and body["warnings"] == [] and body["uptime_seconds"] > 0


def _health(ctx, response):
    checks = response.json()["checks"]
    assert set(checks) == {"database", "broker", "redis", "workers", "instances"}
    assert all(checks[name]["status"] == "ok" and checks[name]["latency_ms"] >= 0
               for name in ("database", "broker", "redis"))


class TestSystemEndpoints(ResourceSuite):
    endpoints = (
        Endpoint("info", "GET", "/api/system/info", SYSTEM_READ, 200, check=_info),
        Endpoint("health-detailed", "GET", "/api/system/health/detailed", SYSTEM_READ, 200, check=_health),
        Endpoint("reload-config", "POST", "/api/system/reload-config", frozenset(), 200,
                 check=lambda ctx, r: r.json()["restart_required"] == [] and "api.cors_origins" in r.json()["live_keys"]),
        Endpoint("stats", "GET", "/api/v1/stats", SYSTEM_READ, 200),
        Endpoint("whoami", "GET", "/api/v1/auth/me/", frozenset({"TaskRead", "TaskWrite", "WorkerRead", "WorkerWrite",
                                                                 "SystemRead"}), 200),
    )

    @pytest.fixture
    def ctx(self, db, redis_prefix, monkeypatch):
        # redis_prefix: reload-config bumps a generation key every test process on this host
        # would share. The health checks get time to answer on a loaded machine.
        monkeypatch.setattr(system, "CHECK_TIMEOUT_SECONDS", 30.0)
        return {}


def test_health_endpoint_stays_public_and_dependency_free(anonymous_client):
    assert anonymous_client.get("/health").json()["status"] == "ok"
