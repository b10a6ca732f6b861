"""A mutation refused with 401 (no credentials, or a key that is not one) is in the audit log
like every refused request, but rate-limited per client address (and for all addresses
together), so a flood cannot fill the table."""

from rest_framework.test import APIClient

from audit_app import services
from audit_app.models import AuditEntry
from tasks_app.models import Task


def test_a_401_is_recorded_without_the_offered_key(anonymous_client, redis_prefix, db):
    bogus = APIClient()
    bogus.credentials(HTTP_X_API_KEY="tp_not-a-real-key-0123456789")
    response = bogus.post("/api/v1/tasks/", {"name": "t"}, format="json", REMOTE_ADDR="10.9.8.7",
                          HTTP_USER_AGENT="guesser/1")
    assert response.status_code == 401
    entry = AuditEntry.objects.get()
    assert (entry.principal, entry.action, entry.status_code, entry.source) == ("anonymous", "task.create", 401, "api")
    assert (entry.remote_addr, entry.user_agent, entry.method, entry.path) == ("10.9.8.7", "guesser/1", "POST",
                                                                               "/api/v1/tasks/")
    assert "not-a-real-key" not in str(AuditEntry.objects.values().get())
    assert not Task.objects.exists()


def test_a_flood_from_one_address_is_recorded_up_to_the_limit(anonymous_client, redis_prefix, db):
    limit = services.UNAUTHENTICATED_PER_ADDRESS.capacity
    for _ in range(limit + 15):
        response = anonymous_client.post("/api/v1/tasks/", {}, format="json", REMOTE_ADDR="10.0.0.66")
        assert response.status_code == 401
    assert AuditEntry.objects.filter(remote_addr="10.0.0.66").count() == limit
    # another address has its own share
    anonymous_client.post("/api/v1/tasks/", {}, format="json", REMOTE_ADDR="10.0.0.67")
    assert AuditEntry.objects.filter(remote_addr="10.0.0.67").count() == 1


def test_all_addresses_together_are_bounded(anonymous_client, redis_prefix, db, monkeypatch):
    from scheduler_project.live_config import RateLimit

    monkeypatch.setattr(services, "UNAUTHENTICATED_ALL", RateLimit(True, 5, 5, "audit"))
    for i in range(12):
        anonymous_client.post("/api/v1/tasks/", {}, format="json", REMOTE_ADDR=f"10.1.0.{i}")
    assert AuditEntry.objects.count() == 5
