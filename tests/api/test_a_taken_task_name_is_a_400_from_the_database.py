"""A task name that is taken answers 400 naming `name`, on create and on rename. The database's
unique constraint decides, not a SELECT before the INSERT: that SELECT cost every create a
round trip, and two creates racing past it both passed it, and the loser got a 500."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit_app.models import AuditEntry
from tasks_app.models import Task
from tests.api.resource_suite import assert_error

SHELL = {"type": "shell", "spec": {"command": "true"}}


def test_creating_a_taken_name_is_a_400_on_name(admin_client):
    assert admin_client.post("/api/v1/tasks/", {**SHELL, "name": "nightly"}, format="json").status_code == 201
    response = admin_client.post("/api/v1/tasks/", {**SHELL, "name": "nightly", "description": "second"}, format="json")
    body = assert_error(response, 400, "invalid")
    assert body["fields"] == {"name": ["task with this name already exists."]}
    assert list(Task.objects.values_list("description", flat=True)) == [""]
    refused = AuditEntry.objects.filter(action="task.create", status_code=400)
    assert refused.count() == 1  # recorded on its own, after the rollback


def test_renaming_to_a_taken_name_is_a_400_on_name(admin_client, make_task):
    make_task(name="taken")
    other = make_task(name="other")
    body = assert_error(admin_client.patch(f"/api/v1/tasks/{other.pk}/", {"name": "taken"}, format="json"), 400)
    assert body["fields"] == {"name": ["task with this name already exists."]}
    assert Task.objects.get(pk=other.pk).name == "other"


def test_create_asks_the_database_nothing_about_the_name_first(admin_client):
    with CaptureQueriesContext(connection) as queries:
        assert admin_client.post("/api/v1/tasks/", {**SHELL, "name": "fresh"}, format="json").status_code == 201
    selects = [q["sql"] for q in queries
               if q["sql"].lstrip().upper().startswith("SELECT") and '"tasks_app_task"."name"' in q["sql"]]
    assert selects == [], "\n".join(selects)


def test_a_violation_spanning_several_columns_is_a_409(make_task):
    from django.db import IntegrityError, transaction

    from scheduler_project.api.errors import ConflictError, _translate
    from tasks_app.models import Run, RunAttempt

    run = Run.objects.create(task=make_task(name="twice"), trigger=Run.Trigger.MANUAL)
    RunAttempt.objects.create(run=run, attempt=1)
    try:
        with transaction.atomic():
            RunAttempt.objects.create(run=run, attempt=1)
    except IntegrityError as exc:
        translated = _translate(exc)
    assert isinstance(translated, ConflictError)
    assert "run_id" in str(translated.detail) and "attempt" in str(translated.detail)
