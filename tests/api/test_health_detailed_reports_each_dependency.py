import time

from monitoring_app import health as system


def test_a_failed_required_dependency_is_503(key_client, monkeypatch):
    monkeypatch.setattr(system, "CHECK_TIMEOUT_SECONDS", 30.0)  # the real checks must not time out under load
    def redis_down():
        raise ConnectionError("connection refused")

    monkeypatch.setitem(system.CHECKS, "redis", (redis_down, True))
    response = key_client("SystemRead").get("/api/system/health/detailed")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and body["checks"]["redis"]["status"] == "failed"
    assert "connection refused" in body["checks"]["redis"]["detail"] and body["checks"]["database"]["status"] == "ok"


def test_a_hung_dependency_costs_the_timeout_not_forever(key_client, monkeypatch):
    monkeypatch.setattr(system, "CHECK_TIMEOUT_SECONDS", 0.5)
    monkeypatch.setitem(system.CHECKS, "broker", (lambda: time.sleep(5) or ("ok", ""), True))
    started = time.monotonic()
    response = key_client("SystemRead").get("/api/system/health/detailed")
    assert time.monotonic() - started < 2.5
    assert response.status_code == 503 and "no answer within" in response.json()["checks"]["broker"]["detail"]


def test_optional_checks_only_degrade(key_client, monkeypatch):
    monkeypatch.setattr(system, "CHECK_TIMEOUT_SECONDS", 30.0)  # the real checks must not time out under load
    monkeypatch.setitem(system.CHECKS, "workers", (lambda: ("warning", "0 of 0 online"), False))
    response = key_client("SystemRead").get("/api/system/health/detailed")
    assert response.status_code == 200 and response.json()["status"] in ("degraded", "ok")
