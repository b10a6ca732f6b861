"""[api.auth] enabled = false (development): the API is open, loudly; the admin is not."""

import logging

import pytest

from scheduler_project.api import startup


@pytest.fixture
def auth_disabled(settings):
    tp = settings.TP.model_copy(deep=True)
    tp.api.auth.enabled = False
    settings.TP = tp


def test_anyone_may_use_the_api_as_admin(auth_disabled, anonymous_client, db):
    response = anonymous_client.post("/api/v1/tasks/", {"name": "s", "type": "shell", "spec": {"command": "id"}},
                                     format="json")
    assert response.status_code == 201
    me = anonymous_client.get("/api/v1/auth/me/").json()
    assert me["principal"] == "anonymous" and me["auth_disabled"] is True


def test_system_info_carries_the_warning(auth_disabled, anonymous_client, db):
    body = anonymous_client.get("/api/system/info").json()
    assert body["auth_disabled"] is True
    assert any("OPEN" in warning for warning in body["warnings"])


def test_a_loud_warning_is_logged_at_start(auth_disabled, db, caplog):
    with caplog.at_level(logging.WARNING, logger="taskplane.api"):
        startup.on_api_start()
    assert "API is OPEN" in caplog.text and "!!!!!!!!" in caplog.text


def test_the_admin_still_needs_a_login(auth_disabled, client, db):
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
