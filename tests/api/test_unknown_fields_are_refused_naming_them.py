"""A body field the endpoint does not know is a 400 naming it, on every write: a misspelt
`expires_at` (for `expiry_date`) must not create an Admin key that never expires. Done once, in
the shared serializer base (scheduler_project/api/serializers.py)."""

import importlib
import inspect
import pkgutil

import pytest
from rest_framework import serializers

from accounts_app.models import APIKey
from scheduler_project.api.serializers import RefusesUnknownFields
from tasks_app import states
from tasks_app.models import Task
from tests import factories
from tests.api.resource_suite import assert_error


def test_an_api_key_with_expires_at_is_refused(admin_client):
    before = APIKey.objects.count()
    body = {"name": "deploy", "roles": ["Admin"], "expires_at": "2027-01-01T00:00:00Z"}
    error = assert_error(admin_client.post("/api/v1/api-keys/", body, format="json"), 400)
    assert "expires_at" in error["fields"] and "expires_at" in error["message"]
    assert APIKey.objects.count() == before


def test_a_task_create_and_update(admin_client):
    body = {"name": "t", "type": "shell", "spec": {"command": "true"}, "retry_delay": 5}
    assert "retry_delay" in assert_error(admin_client.post("/api/v1/tasks/", body, format="json"), 400)["fields"]
    assert not Task.objects.exists()
    task = factories.task()
    response = admin_client.patch(f"/api/v1/tasks/{task.pk}/", {"enabeld": False}, format="json")
    assert "enabeld" in assert_error(response, 400)["fields"]


def test_read_only_fields_may_be_sent_back(admin_client):
    task = factories.task()
    read = admin_client.get(f"/api/v1/tasks/{task.pk}/").json()
    response = admin_client.put(f"/api/v1/tasks/{task.pk}/", {**read, "description": "again"}, format="json")
    assert response.status_code == 200, response.content


def test_actions(admin_client):
    task = factories.task()
    response = admin_client.post(f"/api/v1/tasks/{task.pk}/trigger/", {"parms": {"a": "1"}}, format="json")
    assert "parms" in assert_error(response, 400)["fields"]
    run = factories.run(task, status=states.FAILED)
    response = admin_client.post(f"/api/v1/runs/{run.pk}/replay/", {"param": {}}, format="json")
    assert "param" in assert_error(response, 400)["fields"]
    factories.worker("w1")
    response = admin_client.post("/api/v1/workers/w1/drain/", {"deadline": 5}, format="json")
    assert "deadline" in assert_error(response, 400)["fields"]


def test_a_notification_channel(admin_client):
    body = {"name": "ops", "type": "webhook", "url": "https://example.com/hook", "secret_key": "x"}
    error = assert_error(admin_client.post("/api/v1/notifications/channels/", body, format="json"), 400)
    assert "secret_key" in error["fields"]


def _api_modules():
    import scheduler_project.api.system  # noqa: F401  (its serializers take bodies too)

    names = ["scheduler_project.api.system"]
    for app in ("accounts_app", "audit_app", "instances_app", "monitoring_app", "notifications_app", "tasks_app",
                "workers_app"):
        package = importlib.import_module(f"{app}.api")
        names += [f"{app}.api.{m.name}" for m in pkgutil.walk_packages(package.__path__) if not m.ispkg]
    return [importlib.import_module(name) for name in names]


@pytest.mark.django_db
def test_every_api_serializer_derives_from_the_shared_base():
    found = [
        cls for module in _api_modules() for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, serializers.Serializer) and cls.__module__ == module.__name__
    ]
    assert len(found) > 20
    assert [cls.__qualname__ for cls in found if not issubclass(cls, RefusesUnknownFields)] == []


def test_the_token_endpoints(db):
    from django.contrib.auth.models import User
    from rest_framework.test import APIClient

    User.objects.create_superuser("root", password="pw-0123456789")
    body = {"username": "root", "password": "pw-0123456789", "otp": "123456"}
    response = APIClient().post("/api/v1/auth/token/", body, format="json")
    assert "otp" in assert_error(response, 400)["fields"]
    response = APIClient().post("/api/v1/auth/token/refresh/", {"refresh": "x", "token": "y"}, format="json")
    assert "token" in assert_error(response, 400)["fields"]
