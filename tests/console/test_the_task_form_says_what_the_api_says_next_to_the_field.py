"""Bad input in the task form gets the API's own message for it, next to the field it is about,
and saves nothing: not a new task, not half an edit."""

import json
import re

import pytest
from rest_framework.test import APIClient

from accounts_app.services import create_api_key
from tasks_app.models import Task

GOOD = {"name": "report", "type": "shell", "command": "echo hi", "schedule_kind": "cron", "cron": "*/5 * * * *",
        "timezone": "Europe/Berlin", "overlap_policy": "allow", "misfire_policy": "run_once", "retry_backoff": "2",
        "retry_delay_max_seconds": "3600", "misfire_grace_seconds": "60", "enabled": "on"}

# form changes -> (the API body's changes, the form field the message must sit next to)
CASES = {
    "bad cron": ({"cron": "*/5 * * *"}, {"schedule": {"cron": "*/5 * * *", "timezone": "Europe/Berlin"}}, "cron"),
    "unknown zone": ({"timezone": "Mars/Olympus"}, {"schedule": {"cron": "*/5 * * * *", "timezone": "Mars/Olympus"}},
                     "timezone"),
    "no command": ({"command": ""}, {"spec": {}}, "command"),
    "relative cwd": ({"cwd": "tmp"}, {"spec": {"command": "echo hi", "cwd": "tmp"}}, "cwd"),
    "bad backoff": ({"retry_backoff": "0.5"}, {"retry_backoff": 0.5}, "retry_backoff"),
    "not a number": ({"timeout_seconds": "soon"}, {"timeout_seconds": "soon"}, "timeout_seconds"),
    "bad tag": ({"tags": "gpu, bad/tag"}, {"tags": ["gpu", "bad/tag"]}, "tags"),
    "bad interval": ({"schedule_kind": "interval", "interval_every": "0", "interval_unit": "seconds"},
                     {"schedule": {"interval_seconds": 0}}, "interval_every"),
}


def api_messages(body: dict) -> list[str]:
    _, clear = create_api_key("compare", ["Admin"])
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=clear)
    response = client.post("/api/v1/tasks/", json.dumps(body), content_type="application/json")
    assert response.status_code == 400, response.content
    return [m for messages in response.json()["error"]["fields"].values() for m in messages]


def messages_next_to(html: str, field: str) -> list[str]:
    block = re.search(rf'<ul class="errors" id="err-{field}"[^>]*>(.*?)</ul>', html, re.S)
    assert block, f"no message next to {field}"
    from html import unescape

    return [unescape(m).strip() for m in re.findall(r"<li>(.*?)</li>", block.group(1), re.S)]


@pytest.mark.parametrize("case", list(CASES))
def test_a_bad_field_gets_the_apis_message_and_nothing_is_saved(signed_in, redis_prefix, case):
    admin = signed_in(superuser=True)
    form_change, body_change, field = CASES[case]
    response = admin.post("/ui/tasks/new/", {**GOOD, **form_change})
    assert response.status_code == 400
    shown = messages_next_to(response.content.decode(), field)
    body = {"name": "report", "type": "shell", "spec": {"command": "echo hi"},
            "schedule": {"cron": "*/5 * * * *", "timezone": "Europe/Berlin"}, **body_change}
    assert set(shown) <= set(api_messages(body)), (shown, api_messages(body))
    assert not Task.objects.filter(name="report").exists()
    assert "nothing was changed" in response.content.decode()
    assert f'value="{GOOD["name"]}"' in response.content.decode()  # what was typed stays


def test_a_taken_name_is_refused_as_the_api_refuses_it(signed_in, redis_prefix):
    admin = signed_in(superuser=True)
    Task.objects.create(name="report", type="shell", spec={"command": "true"})
    response = admin.post("/ui/tasks/new/", GOOD)
    assert response.status_code == 400
    assert messages_next_to(response.content.decode(), "name") == ["task with this name already exists."]
    assert Task.objects.filter(name="report").count() == 1


def test_a_refused_edit_changes_nothing(signed_in, redis_prefix):
    admin = signed_in(superuser=True)
    task = Task.objects.create(name="report", type="shell", spec={"command": "echo old"},
                               schedule={"cron": "0 1 * * *", "timezone": "UTC"})
    response = admin.post(f"/ui/tasks/{task.pk}/edit/", {**GOOD, "command": "echo new", "cron": "99 * * * *"})
    assert response.status_code == 400 and messages_next_to(response.content.decode(), "cron")
    task.refresh_from_db()
    assert task.spec == {"command": "echo old"} and task.schedule == {"cron": "0 1 * * *", "timezone": "UTC"}


def test_a_good_form_saves_what_the_api_would(signed_in, redis_prefix):
    admin = signed_in(superuser=True)
    response = admin.post("/ui/tasks/new/", {**GOOD, "env": "A=1\nB=two words", "tags": "eu, gpu",
                                             "param_key": ["region", ""], "param_value": ["eu", ""]})
    assert response.status_code == 302
    task = Task.objects.get(name="report")
    assert task.spec == {"command": "echo hi", "env": {"A": "1", "B": "two words"}}
    assert task.schedule == {"cron": "*/5 * * * *", "timezone": "Europe/Berlin"}
    assert task.tags == ["eu", "gpu"] and task.params == {"region": "eu"}
    assert task.periodic_task is not None  # saved through the model: its beat row exists
    assert response["Location"] == f"/ui/tasks/{task.pk}/"
