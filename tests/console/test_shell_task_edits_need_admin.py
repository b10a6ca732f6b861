"""As in the API: a TaskWrite user creates and edits HTTP tasks and triggers, pauses and resumes
any task, but creating or changing a shell task (a command on the nodes) needs Admin."""

from tasks_app.api.views.tasks import SHELL_NEEDS_ADMIN
from tasks_app.models import Task

HTTP = {"name": "probe", "type": "http", "url": "https://example.com/health", "method": "GET", "schedule_kind": "none",
        "overlap_policy": "allow", "misfire_policy": "run_once", "retry_backoff": "2", "retry_delay_max_seconds": "60",
        "misfire_grace_seconds": "60"}


def test_a_task_writer_edits_http_tasks_only(signed_in, world):
    writer = signed_in("TaskWrite", name="writer")
    assert writer.post("/ui/tasks/new/", HTTP).status_code == 302
    assert Task.objects.get(name="probe").spec == {"url": "https://example.com/health", "method": "GET"}

    refused = writer.post("/ui/tasks/new/", {**HTTP, "name": "sh", "type": "shell", "command": "id"})
    assert refused.status_code == 403 and SHELL_NEEDS_ADMIN in refused.content.decode()
    assert not Task.objects.filter(name="sh").exists()

    berlin = world["berlin"]
    assert writer.get(f"/ui/tasks/{berlin.pk}/edit/").status_code == 403
    # Turning a shell task into an HTTP one is a change of a shell task: Admin's too.
    assert writer.post(f"/ui/tasks/{berlin.pk}/edit/", {**HTTP, "name": berlin.name}).status_code == 403
    assert Task.objects.get(pk=berlin.pk).type == "shell"

    page = writer.get(f"/ui/tasks/{berlin.pk}/").content.decode()
    assert "Trigger" in page and "needs the Admin role" in page and f"/ui/tasks/{berlin.pk}/edit/" not in page
    assert f"/ui/tasks/{world['ping'].pk}/edit/" in writer.get(f"/ui/tasks/{world['ping'].pk}/").content.decode()


def test_an_admin_edits_shell_tasks(signed_in, world):
    admin = signed_in(superuser=True)
    berlin = world["berlin"]
    form = admin.get(f"/ui/tasks/{berlin.pk}/edit/")
    assert form.status_code == 200 and "echo report" in form.content.decode()
    response = admin.post(f"/ui/tasks/{berlin.pk}/edit/", {
        "name": berlin.name, "type": "shell", "command": "echo changed", "schedule_kind": "cron", "cron": "15 3 * * *",
        "timezone": "America/New_York", "overlap_policy": "forbid", "misfire_policy": "skip", "retry_backoff": "2",
        "retry_delay_max_seconds": "60", "misfire_grace_seconds": "30", "timeout_seconds": "600",
        "param_key": ["region", "limit"], "param_value": ["eu", "5"]})
    assert response.status_code == 302
    berlin.refresh_from_db()
    assert berlin.spec == {"command": "echo changed"} and berlin.overlap_policy == "forbid"
    assert berlin.schedule == {"cron": "15 3 * * *", "timezone": "America/New_York"}
    assert berlin.params == {"region": "eu", "limit": 5}  # untouched rows keep their type
