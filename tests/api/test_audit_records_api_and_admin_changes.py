"""Every mutating API request and admin change is recorded: who, what, before, after, from where."""

import pytest
from django.contrib.auth.models import User

from audit_app.models import AuditEntry
from tasks_app.models import Task


def test_api_changes_are_recorded_with_before_and_after(key_client, make_task):
    client = key_client("TaskWrite", name="ci")
    task = make_task("t", type="http")
    client.patch(f"/api/v1/tasks/{task.pk}/", {"description": "new"}, format="json", HTTP_USER_AGENT="ci-script/1",
                 REMOTE_ADDR="10.1.2.3")
    entry = AuditEntry.objects.get(action="task.partial_update")
    assert (entry.principal, entry.source, entry.object_type, entry.object_id) == ("key:ci", "api", "task", str(task.pk))
    assert entry.before["description"] == "" and entry.after["description"] == "new"
    assert (entry.remote_addr, entry.user_agent, entry.status_code) == ("10.1.2.3", "ci-script/1", 200)


def test_post_actions_are_recorded(key_client, make_task):
    client = key_client("TaskWrite", name="ci")
    task = make_task("t", type="http")
    client.post(f"/api/v1/tasks/{task.pk}/trigger/", {}, format="json")
    client.post(f"/api/v1/tasks/{task.pk}/pause/")
    actions = list(AuditEntry.objects.order_by("id").values_list("action", "object_id"))
    assert actions == [("task.trigger", str(task.pk)), ("task.pause", str(task.pk))]
    pause = AuditEntry.objects.get(action="task.pause")
    assert pause.before["enabled"] is True and pause.after["enabled"] is False


def test_refused_attempts_are_recorded_and_change_nothing(key_client, make_task):
    client = key_client("TaskRead", name="reader")
    task = make_task("t", type="http")
    client.post(f"/api/v1/tasks/{task.pk}/pause/")
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.status_code, entry.principal) == ("task.pause", 403, "key:reader")
    assert Task.objects.get().enabled


def test_reads_are_not_recorded(key_client, make_task):
    make_task(type="http")
    key_client("TaskRead").get("/api/v1/tasks/")
    assert not AuditEntry.objects.exists()


@pytest.fixture
def admin_user(db, client):
    user = User.objects.create_superuser("ops", password="pw-0123456789")
    client.force_login(user)
    return user


def test_admin_changes_are_recorded(admin_user, client, make_task):
    task = make_task("t", type="http", description="old")
    form = {f: getattr(task, f) for f in ("name", "type", "overlap_policy", "misfire_policy", "retry_backoff",
                                          "retry_delay_max_seconds", "timeout_seconds", "misfire_grace_seconds")}
    form.update({"description": "changed", "spec": '{"url": "http://127.0.0.1:9/", "method": "GET"}', "params": "{}",
                 "tags": "[]", "schedule": "null", "enabled": "on", "retry_jitter": "on",
                 "runs-TOTAL_FORMS": "0", "runs-INITIAL_FORMS": "0"})
    response = client.post(f"/admin/tasks_app/task/{task.pk}/change/", form, REMOTE_ADDR="10.0.0.5")
    assert response.status_code == 302, response.content[:2000]
    entry = AuditEntry.objects.get(action="admin.change")
    assert (entry.principal, entry.source, entry.object_type, entry.object_id) == (
        "user:ops", "admin", "tasks_app.task", str(task.pk))
    assert entry.before["description"] == "old" and entry.after["description"] == "changed"
    assert entry.remote_addr == "10.0.0.5"


def test_admin_actions_are_recorded(admin_user, client, make_task):
    a, b = make_task("a", type="http"), make_task("b", type="http")
    client.post("/admin/tasks_app/task/", {"action": "pause", "index": "0", "_selected_action": [a.pk, b.pk]})
    entries = AuditEntry.objects.filter(action="admin.action.pause").order_by("object_id")
    assert [e.object_id for e in entries] == sorted([str(a.pk), str(b.pk)])
    assert all(e.before["enabled"] is True and e.after["enabled"] is False for e in entries)


def test_admin_deletions_and_api_keys_never_show_the_hash(admin_user, client, make_task):
    from accounts_app.services import create_api_key

    key, clear = create_api_key("k", ["TaskRead"])
    client.post(f"/admin/accounts_app/apikey/{key.pk}/change/", {"name": "renamed", "roles": '["TaskRead"]'})
    client.post(f"/admin/accounts_app/apikey/{key.pk}/delete/", {"post": "yes"})
    entries = list(AuditEntry.objects.filter(object_type="accounts_app.apikey").order_by("id"))
    assert [e.action for e in entries] == ["admin.change", "admin.delete"]
    assert all(e.object_id == key.prefix for e in entries)
    text = repr([(e.before, e.after, e.object_id) for e in entries])
    assert key.hashed_key.split("$$")[1][:16] not in text and clear.split(".")[1] not in text


def test_the_audit_log_is_read_only_in_the_admin(admin_user, client, key_client, make_task):
    key_client("TaskWrite").post(f"/api/v1/tasks/{make_task(type='http').pk}/pause/")
    entry = AuditEntry.objects.get()
    assert client.get("/admin/audit_app/auditentry/").status_code == 200
    assert client.get(f"/admin/audit_app/auditentry/{entry.pk}/change/").status_code == 200
    assert client.get("/admin/audit_app/auditentry/add/").status_code == 403
    assert client.post(f"/admin/audit_app/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
