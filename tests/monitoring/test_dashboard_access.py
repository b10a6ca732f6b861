"""Who sees /dashboard and /dashboard/data: staff sessions and API keys with SystemRead or
Admin; anonymous visitors are sent to the admin login (HTML) or get 401 (JSON)."""

import pytest
from django.contrib.auth.models import User

from accounts_app.models import APIKey
from accounts_app.services import create_api_key

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _redis(redis_prefix):
    pass


def _key(*roles):
    return create_api_key("dash-" + "-".join(roles), list(roles), source=APIKey.Source.COMMAND)[1]


def test_anonymous_is_sent_to_the_admin_login(client):
    response = client.get("/dashboard")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/?next=/dashboard")
    assert client.get("/dashboard/data").status_code == 401


def test_staff_session_sees_it(client):
    client.force_login(User.objects.create_user("ops", password="x", is_staff=True))
    assert client.get("/dashboard").status_code == 200
    assert client.get("/dashboard/data").json()["workers"]["available"] is True


def test_non_staff_user_is_refused(client):
    client.force_login(User.objects.create_user("dev", password="x"))
    assert client.get("/dashboard").status_code == 403
    assert client.get("/dashboard/data").status_code == 403


@pytest.mark.parametrize("roles", [("SystemRead",), ("Admin",)])
def test_api_key_with_system_read_or_admin(client, roles):
    headers = {"X-API-Key": _key(*roles)}
    assert client.get("/dashboard", headers=headers).status_code == 200
    assert client.get("/dashboard/data", headers=headers).status_code == 200


def test_api_key_without_the_role_or_invalid(client):
    assert client.get("/dashboard/data", headers={"X-API-Key": _key("TaskRead")}).status_code == 403
    assert client.get("/dashboard/data", headers={"X-API-Key": "nope.invalid"}).status_code == 401
    assert client.get("/dashboard", headers={"X-API-Key": "nope.invalid"}).status_code == 401
