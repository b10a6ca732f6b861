"""[scheduler] job_timeout_seconds (the second guide's key) is the timeout of a task that
gives none, wherever it is created; a task that gives one keeps it."""

import pytest

from tasks_app.models import Task


def job_timeout(settings, seconds):
    settings.TP = settings.TP.model_copy(update={
        "scheduler": settings.TP.scheduler.model_copy(update={"job_timeout_seconds": seconds})})


@pytest.mark.django_db
def test_the_model_default_is_the_configured_one(settings):
    job_timeout(settings, 30)
    task = Task.objects.create(name="t-default", type="shell", spec={"command": "true"})
    assert Task.objects.get(pk=task.pk).timeout_seconds == 30
    given = Task.objects.create(name="t-given", type="shell", spec={"command": "true"}, timeout_seconds=90)
    assert Task.objects.get(pk=given.pk).timeout_seconds == 90


@pytest.mark.django_db
def test_a_task_created_through_the_api_gets_it(settings, client, monkeypatch):
    from accounts_app import services as accounts
    from accounts_app.services import create_api_key

    monkeypatch.setattr(accounts, "_provisioned", True)  # no API_KEYS provisioning in this test
    job_timeout(settings, 45)
    _, secret = create_api_key("t", ["Admin"])
    response = client.post("/api/v1/tasks/", {"name": "t-api", "type": "shell", "spec": {"command": "true"}},
                           content_type="application/json", HTTP_X_API_KEY=secret)
    assert response.status_code == 201, response.content
    assert response.json()["timeout_seconds"] == 45
