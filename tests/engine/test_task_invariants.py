import pytest
from django.core.exceptions import ValidationError

from tasks_app.models import Task


@pytest.mark.parametrize(
    "fields, key",
    [
        ({"type": "shell", "spec": {}}, "spec.command"),
        ({"type": "shell", "spec": {"command": "a", "argv": ["a"]}}, "spec.command"),
        ({"type": "shell", "spec": {"argv": []}}, "spec.argv"),
        ({"type": "shell", "spec": {"command": "a", "env": {"A": 1}}}, "spec.env"),
        ({"type": "shell", "spec": {"command": "a", "cwd": "relative"}}, "spec.cwd"),
        ({"type": "shell", "spec": {"command": "a", "shell": "bash"}}, "spec"),
        ({"type": "http", "spec": {"url": "ftp://x"}}, "spec.url"),
        ({"type": "http", "spec": {"url": "http://x", "method": "FETCH"}}, "spec.method"),
        ({"type": "http", "spec": {"url": "http://x", "expected_statuses": [700]}}, "spec.expected_statuses"),
        ({"type": "ftp", "spec": {}}, "type"),
        ({"type": "shell", "spec": {"command": "a"}, "schedule": {"cron": "61 * * * *"}}, "schedule"),
        ({"type": "shell", "spec": {"command": "a"}, "tags": "gpu"}, "tags"),
        ({"type": "shell", "spec": {"command": "a"}, "retry_backoff": 0.5}, "retry_backoff"),
    ],
)
def test_invalid_tasks_are_refused_naming_the_field(db, fields, key):
    with pytest.raises(ValidationError) as caught:
        Task.objects.create(name="bad", **fields)
    assert key in caught.value.message_dict
    assert not Task.objects.exists()


def test_a_valid_task_of_each_type_saves(db):
    Task.objects.create(name="s", type="shell", spec={"argv": ["echo", "hi"], "env": {"A": "1"}, "cwd": "/tmp"})
    Task.objects.create(name="h", type="http", spec={"url": "https://example.com", "method": "post", "body": {"a": 1}})
    assert Task.objects.count() == 2
