from tasks_app.models import Task
from tests.api.resource_suite import assert_error

SHELL = {"name": "rm-everything", "type": "shell", "spec": {"command": "echo hi"}}
HTTP = {"name": "ping", "type": "http", "spec": {"url": "https://example.org/health", "method": "GET"}}


def test_task_write_cannot_create_a_shell_task_but_can_create_an_http_task(key_client):
    writer = key_client("TaskWrite")
    error = assert_error(writer.post("/api/v1/tasks/", SHELL, format="json"), 403, "permission_denied")
    assert "Admin" in error["message"]
    assert not Task.objects.filter(name="rm-everything").exists()

    assert writer.post("/api/v1/tasks/", HTTP, format="json").status_code == 201


def test_task_write_cannot_change_or_delete_a_shell_task_nor_turn_one_into_shell(key_client, make_task):
    writer = key_client("TaskWrite")
    shell, http = make_task("s", type="shell"), make_task("h", type="http")
    assert_error(writer.patch(f"/api/v1/tasks/{shell.pk}/", {"spec": {"command": "id"}}, format="json"), 403)
    assert_error(writer.delete(f"/api/v1/tasks/{shell.pk}/"), 403)
    assert_error(writer.patch(f"/api/v1/tasks/{http.pk}/", {"type": "shell", "spec": {"command": "id"}}, format="json"),
                 403)
    assert Task.objects.get(pk=shell.pk).spec == {"command": "true"}
    assert Task.objects.get(pk=http.pk).type == "http"


def test_task_write_may_trigger_pause_and_resume_a_shell_task(key_client, make_task):
    writer, shell = key_client("TaskWrite"), make_task("s", type="shell")
    assert writer.post(f"/api/v1/tasks/{shell.pk}/trigger/", {}, format="json").status_code == 201
    assert writer.post(f"/api/v1/tasks/{shell.pk}/pause/").json()["enabled"] is False
    assert writer.post(f"/api/v1/tasks/{shell.pk}/resume/").json()["enabled"] is True


def test_admin_creates_a_shell_task_with_the_contract_shape(admin_client):
    body = {**SHELL, "schedule": {"cron": "*/5 * * * *", "timezone": "Europe/Berlin"}}
    response = admin_client.post("/api/v1/tasks/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["spec"] == {"command": "echo hi"}


def test_an_invalid_definition_is_a_400_naming_the_field(admin_client):
    response = admin_client.post("/api/v1/tasks/", {**SHELL, "spec": {"argv": "not a list"}}, format="json")
    assert assert_error(response, 400, "invalid")["fields"] == {
        "spec.argv": ["must be a non-empty list of strings with a non-empty program"]}
    response = admin_client.post("/api/v1/tasks/", {**HTTP, "schedule": {"cron": "61 * * * *"}}, format="json")
    assert list(assert_error(response, 400)["fields"]) == ["schedule"]
