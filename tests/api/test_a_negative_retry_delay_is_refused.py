"""`retry_delay_seconds: -5` (or a negative maximum delay) is a 400 naming the field."""

import pytest

from tasks_app.models import Task
from tests.api.resource_suite import assert_error


@pytest.mark.parametrize("field", ["retry_delay_seconds", "retry_delay_max_seconds"])
def test_it_is_refused(admin_client, field):
    body = {"name": "t", "type": "shell", "spec": {"command": "true"}, field: -5}
    assert field in assert_error(admin_client.post("/api/v1/tasks/", body, format="json"), 400)["fields"]
    assert not Task.objects.exists()


def test_the_model_refuses_it_too(db):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        Task.objects.create(name="t", type="shell", spec={"command": "true"}, retry_delay_seconds=-5)
    assert "retry_delay_seconds" in refused.value.message_dict


def test_zero_is_allowed(admin_client):
    body = {"name": "t", "type": "shell", "spec": {"command": "true"}, "retry_delay_seconds": 0}
    assert admin_client.post("/api/v1/tasks/", body, format="json").status_code == 201
