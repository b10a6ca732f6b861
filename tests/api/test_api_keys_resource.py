import pytest

from accounts_app.models import APIKey
from accounts_app.services import create_api_key, find_key
from tests.api.resource_suite import Endpoint, ResourceSuite, assert_error

ADMIN_ONLY = frozenset()


def _created(ctx, response):
    body = response.json()
    assert body["roles"] == ["TaskRead"] and body["source"] == "api" and body["key"].startswith(body["prefix"] + ".")
    assert find_key(body["key"]).prefix == body["prefix"]


class TestAPIKeys(ResourceSuite):
    endpoints = (
        Endpoint("list", "GET", "/api/v1/api-keys/", ADMIN_ONLY, 200,
                 check=lambda ctx, r: all("key" not in k and "hashed_key" not in k for k in r.json()["results"])),
        Endpoint("retrieve", "GET", lambda c: f"/api/v1/api-keys/{c['key'].prefix}/", ADMIN_ONLY, 200,
                 check=lambda ctx, r: "key" not in r.json()),
        Endpoint("create", "POST", "/api/v1/api-keys/", ADMIN_ONLY, 201, body={"name": "ci", "roles": ["TaskRead"]},
                 check=_created),
        Endpoint("partial-update", "PATCH", lambda c: f"/api/v1/api-keys/{c['key'].prefix}/", ADMIN_ONLY, 200,
                 body={"roles": ["TaskRead", "WorkerRead"]}),
        Endpoint("revoke", "POST", lambda c: f"/api/v1/api-keys/{c['key'].prefix}/revoke/", ADMIN_ONLY, 200,
                 check=lambda ctx, r: r.json()["revoked"] and r.json()["revoked_by"].startswith("key:")),
    )

    @pytest.fixture
    def ctx(self, db):
        return {"key": create_api_key("scripts", ["TaskWrite"])[0]}


def test_a_revoked_or_expired_key_is_refused(key_client):
    from django.utils import timezone

    client = key_client("TaskRead")
    APIKey.objects.filter(pk=client.api_key.pk).update(revoked=True)
    assert "revoked" in assert_error(client.get("/api/v1/tasks/"), 401)["message"]
    client = key_client("TaskRead")
    APIKey.objects.filter(pk=client.api_key.pk).update(expiry_date=timezone.now() - timezone.timedelta(seconds=1))
    assert "expired" in assert_error(client.get("/api/v1/tasks/"), 401)["message"]


def test_an_unknown_key_is_refused(db, anonymous_client):
    anonymous_client.credentials(HTTP_X_API_KEY="abcdefgh.not-a-real-key")
    assert_error(anonymous_client.get("/api/v1/tasks/"), 401, "invalid_api_key")


def test_last_use_is_recorded_at_most_once_a_minute(key_client):
    from django.utils import timezone

    client = key_client("TaskRead")
    client.get("/api/v1/tasks/")
    first = APIKey.objects.get(pk=client.api_key.pk).last_used_at
    assert first is not None
    client.get("/api/v1/tasks/")
    assert APIKey.objects.get(pk=client.api_key.pk).last_used_at == first
    APIKey.objects.filter(pk=client.api_key.pk).update(last_used_at=timezone.now() - timezone.timedelta(minutes=2))
    client.get("/api/v1/tasks/")
    assert APIKey.objects.get(pk=client.api_key.pk).last_used_at > first


def test_expiry_and_roles_are_validated(admin_client):
    response = admin_client.post("/api/v1/api-keys/", {"name": "x", "roles": ["Root"]}, format="json")
    assert "roles.0" in assert_error(response, 400, "invalid")["fields"]
    response = admin_client.post("/api/v1/api-keys/", {"name": "x", "roles": [], "expiry_date": "soon"}, format="json")
    assert set(assert_error(response, 400)["fields"]) == {"roles", "expiry_date"}


def test_configured_keys_are_edited_in_the_configuration_only(admin_client):
    from accounts_app.services import provision_config_keys

    provision_config_keys({"a-long-configured-key-123": ["TaskRead"]})
    prefix = APIKey.objects.get(source="config").prefix
    response = admin_client.patch(f"/api/v1/api-keys/{prefix}/", {"roles": ["Admin"]}, format="json")
    assert_error(response, 409, "conflict")
    assert admin_client.post(f"/api/v1/api-keys/{prefix}/revoke/").status_code == 200


def test_the_key_a_request_is_made_with_cannot_revoke_or_change_itself(admin_client):
    prefix = admin_client.api_key.prefix
    assert_error(admin_client.post(f"/api/v1/api-keys/{prefix}/revoke/"), 409, "conflict")
    assert_error(admin_client.patch(f"/api/v1/api-keys/{prefix}/", {"roles": ["TaskRead"]}, format="json"), 409)
    assert admin_client.get("/api/v1/api-keys/").status_code == 200


def test_a_key_needs_a_name(admin_client):
    assert "name" in assert_error(admin_client.post("/api/v1/api-keys/", {"roles": ["Admin"]}, format="json"),
                                  400)["fields"]
