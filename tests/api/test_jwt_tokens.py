"""JWT for users: POST /api/v1/auth/token/, Authorization: Bearer; roles from superuser/groups."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from rest_framework.test import APIClient

from tests.api.resource_suite import assert_error


def _token(username, password="pw-0123456789"):
    response = APIClient().post("/api/v1/auth/token/", {"username": username, "password": password}, format="json")
    return response


def _bearer(access):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


@pytest.fixture
def users(db):
    User.objects.create_superuser("root", password="pw-0123456789")
    reader = User.objects.create_user("reader", password="pw-0123456789", is_staff=True)
    reader.groups.add(Group.objects.get(name="TaskRead"))
    User.objects.create_user("nobody", password="pw-0123456789")


def test_a_superuser_is_admin(users):
    tokens = _token("root").json()
    me = _bearer(tokens["access"]).get("/api/v1/auth/me/").json()
    assert me == {"principal": "user:root", "kind": "user", "roles": ["Admin"], "auth_disabled": False}


def test_staff_get_the_roles_of_their_groups(users, make_task):
    client = _bearer(_token("reader").json()["access"])
    task = make_task()
    assert client.get("/api/v1/tasks/").status_code == 200
    assert_error(client.post(f"/api/v1/tasks/{task.pk}/trigger/", {}, format="json"), 403)


def test_a_user_without_staff_status_has_no_role(users):
    assert_error(_bearer(_token("nobody").json()["access"]).get("/api/v1/tasks/"), 403)


def test_bad_credentials_and_bad_tokens_are_401(users):
    assert_error(_token("root", "wrong"), 401)
    assert_error(_bearer("not-a-jwt").get("/api/v1/tasks/"), 401)


def test_refresh_gives_a_new_access_token(users):
    refresh = _token("root").json()["refresh"]
    response = APIClient().post("/api/v1/auth/token/refresh/", {"refresh": refresh}, format="json")
    assert _bearer(response.json()["access"]).get("/api/v1/tasks/").status_code == 200


def test_lifetimes_and_key_come_from_the_auth_section():
    auth = settings.TP.api.auth
    assert settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"] == timedelta(hours=auth.jwt_expiration_hours)
    assert settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"] == timedelta(days=auth.refresh_token_expiration_days)
    assert settings.SIMPLE_JWT["SIGNING_KEY"] == (auth.jwt_secret or settings.SECRET_KEY)


def test_the_admin_session_works_too(users, client):
    client.login(username="root", password="pw-0123456789")
    assert client.get("/api/v1/tasks/").status_code == 200
