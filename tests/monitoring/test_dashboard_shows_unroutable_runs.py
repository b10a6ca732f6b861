"""A run that no online worker consumes says so on the dashboard and in the API, instead of
waiting silently."""

import pytest
from django.contrib.auth.models import User

pytestmark = pytest.mark.django_db


def test_unroutable_runs_are_counted_and_explained(client, redis_prefix):
    from rest_framework.test import APIClient

    from accounts_app.services import create_api_key
    from tasks_app.models import Run, Task

    task = Task.objects.create(name="gpu-job", type="shell", spec={"command": "true"}, tags=["gpu"])
    stuck = Run.objects.create(task=task, trigger="manual", status="queued", queue="tasks.shell.gpu",
                               routing_error="no online worker consumes queue tasks.shell.gpu")
    Run.objects.create(task=task, trigger="manual", status="queued", queue="tasks.shell")
    client.force_login(User.objects.create_user("ops", password="x", is_staff=True))

    data = client.get("/dashboard/data").json()
    assert data["runs"]["unroutable"] == 1
    [shown] = [r for r in data["runs"]["recent"] if r["id"] == stuck.pk]
    assert shown["routing_error"] == "no online worker consumes queue tasks.shell.gpu"
    assert b"1 unroutable" in client.get("/dashboard").content
    api = APIClient()
    api.credentials(HTTP_X_API_KEY=create_api_key("dash-test", ["TaskRead"])[1])
    listed = api.get(f"/api/v1/runs/{stuck.pk}/").json()
    assert listed["routing_error"] == "no online worker consumes queue tasks.shell.gpu"
