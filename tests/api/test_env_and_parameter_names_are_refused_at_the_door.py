"""A shell spec's env names and a run's parameter names become environment variables on the
worker (TP_PARAM_<NAME>): names that are not environment variable names are refused on save,
on trigger and on replay with a 400 naming the field, not accepted and broken at run time."""

import pytest

from tasks_app import states
from tasks_app.models import Run
from tests import factories
from tests.api.resource_suite import assert_error

BAD_NAMES = ["A=B", "a b=c;$(id)", "1X", "", "X-Y"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_a_shell_env_name(admin_client, name):
    body = {"name": "t", "type": "shell", "spec": {"command": "true", "env": {name: "v"}}}
    error = assert_error(admin_client.post("/api/v1/tasks/", body, format="json"), 400)
    assert "spec.env" in error["fields"], error


@pytest.mark.parametrize("name", BAD_NAMES)
def test_a_task_parameter_name(admin_client, name):
    body = {"name": "t", "type": "shell", "spec": {"command": "true"}, "params": {name: "v"}}
    error = assert_error(admin_client.post("/api/v1/tasks/", body, format="json"), 400)
    assert "params" in error["fields"], error


@pytest.mark.parametrize("name", BAD_NAMES)
def test_a_trigger_parameter_name(admin_client, name):
    task = factories.task()
    response = admin_client.post(f"/api/v1/tasks/{task.pk}/trigger/", {"params": {name: "1"}}, format="json")
    assert "params" in assert_error(response, 400)["fields"]
    assert not Run.objects.exists()


def test_a_replay_parameter_name(admin_client):
    run = factories.run(factories.task(), status=states.FAILED)
    response = admin_client.post(f"/api/v1/runs/{run.pk}/replay/", {"params": {"a b=c": "1"}}, format="json")
    assert "params" in assert_error(response, 400)["fields"]
    assert Run.objects.count() == 1


def test_good_names_pass(admin_client):
    body = {"name": "t", "type": "shell", "spec": {"command": "true", "env": {"_A1": "v"}}, "params": {"who": "x"}}
    task = admin_client.post("/api/v1/tasks/", body, format="json")
    assert task.status_code == 201, task.content
    response = admin_client.post(f"/api/v1/tasks/{task.json()['id']}/trigger/", {"params": {"Who_2": "1"}}, format="json")
    assert response.status_code == 201, response.content
