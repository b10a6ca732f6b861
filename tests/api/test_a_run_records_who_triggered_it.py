"""A run records who triggered or replayed it (Run.triggered_by): the API key or user, the admin
user; the API shows it. (definitions.trigger(by=...) used to drop it.)"""

from tasks_app.models import Run


def test_the_api_records_the_key_and_the_admin_the_user(key_client, client, admin_user, make_task, make_run):
    task = make_task(type="http")
    triggered = key_client("TaskWrite").post(f"/api/v1/tasks/{task.pk}/trigger/", {}, format="json").json()
    assert triggered["triggered_by"].startswith("key:") and Run.objects.get(pk=triggered["id"]).triggered_by == \
        triggered["triggered_by"]

    dead = make_run(task, "dead")
    replayed = key_client("TaskWrite").post(f"/api/v1/runs/{dead.pk}/replay/", {}, format="json").json()
    assert replayed["triggered_by"].startswith("key:") and replayed["replay_of"] == dead.pk

    client.force_login(admin_user)  # the Django admin, as a signed-in superuser
    client.post("/admin/tasks_app/task/", {"action": "trigger_now", "_selected_action": [task.pk]})
    by_admin = Run.objects.filter(task=task).exclude(pk__in=[triggered["id"], replayed["id"], dead.pk]).get()
    assert by_admin.triggered_by == f"admin:{admin_user.username}"
