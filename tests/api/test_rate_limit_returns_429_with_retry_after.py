"""With a limit of N a minute, request N+1 from one caller gets 429 with Retry-After; the
buckets are per key, per user or per address, and live in Redis (shared by every process)."""

from django.contrib.auth import get_user_model

from scheduler_project.api import throttling
from scheduler_project.live_config import RateLimit
from tests.api.helpers import rate_limit
from tests.api.resource_suite import assert_error

N = 5


def test_request_n_plus_1_from_one_key_gets_429_with_retry_after(key_client):
    rate_limit(per_minute=N, burst=N)
    client, other = key_client("TaskRead"), key_client("TaskRead")
    assert [client.get("/api/v1/tasks/").status_code for _ in range(N)] == [200] * N
    response = client.get("/api/v1/tasks/")
    error = assert_error(response, 429, "throttled")
    assert 1 <= int(response["Retry-After"]) <= 60 // N + 1
    assert str(int(response["Retry-After"])) in error["message"]
    assert other.get("/api/v1/tasks/").status_code == 200  # its own bucket


def test_anonymous_callers_are_limited_by_address_even_when_refused(anonymous_client, db):
    rate_limit(per_minute=2)
    statuses = [anonymous_client.get("/api/v1/tasks/", REMOTE_ADDR="10.9.8.7").status_code for _ in range(3)]
    assert statuses == [401, 401, 429]
    assert anonymous_client.get("/api/v1/tasks/", REMOTE_ADDR="10.9.8.6").status_code == 401


def test_users_are_limited_per_user(db):
    from rest_framework.test import APIClient

    rate_limit(per_minute=1)
    user = get_user_model().objects.create_superuser("limited", password="pw-123456789")
    client = APIClient()
    client.force_authenticate(user)
    assert client.get("/api/v1/tasks/").status_code == 200
    assert client.get("/api/v1/tasks/").status_code == 429


def test_the_bucket_refills_at_the_configured_rate(db):
    import secrets

    # One token a second: slow enough that the four takes below fit in the first second even
    # on a loaded machine (the bucket runs on Redis's clock, so each round trip counts).
    limit = RateLimit(True, per_minute=60, burst=2, section="api.rate_limiting")
    ident = f"test:{secrets.token_hex(4)}"
    assert [throttling.take(ident, limit)[0] for _ in range(3)] == [True, True, False]
    allowed, wait = throttling.take(ident, limit)
    assert not allowed and 0 < wait <= 1.0
    import time

    time.sleep(wait + 0.05)
    assert throttling.take(ident, limit)[0]


def test_precedence_of_the_two_sections(settings):
    from scheduler_project.live_config import rate_limit_of

    tp = settings.TP.model_copy(deep=True)
    tp.api.rate_limiting.enabled, tp.api.security.rate_limiting_enabled = False, False
    assert not rate_limit_of(tp).enabled
    tp.api.security.rate_limiting_enabled, tp.api.security.max_requests_per_minute = True, 7
    assert (rate_limit_of(tp).per_minute, rate_limit_of(tp).section) == (7, "api.security")
    tp.api.rate_limiting.enabled, tp.api.rate_limiting.max_requests_per_minute = True, 9
    assert (rate_limit_of(tp).per_minute, rate_limit_of(tp).section) == (9, "api.rate_limiting")
    assert RateLimit(True, 1000, 100, "").capacity == 100
    assert RateLimit(True, 10, 100, "").capacity == 10
    assert RateLimit(True, 10, 0, "").capacity == 10


def test_redis_unavailable_lets_requests_through(key_client, monkeypatch):
    rate_limit(per_minute=1)

    def down(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(throttling, "take", down)
    client = key_client("TaskRead")
    assert [client.get("/api/v1/tasks/").status_code for _ in range(3)] == [200, 200, 200]
