import pytest

from scheduler_project.api.permissions import TASK_READ, TASK_WRITE
from tests.api.resource_suite import Endpoint, ResourceSuite

HTTP_TASK = {"name": "new-http", "type": "http", "spec": {"url": "https://example.org/", "method": "GET"},
             "schedule": {"interval_seconds": 10}}


def _fires(ctx, response):
    body = response.json()
    assert body["timezone"] == "Europe/Berlin" and len(body["fires"]) == 3
    first = body["fires"][0]
    assert first["utc"].endswith("Z") and first["local"][-6:] in ("+01:00", "+02:00")


class TestTasks(ResourceSuite):
    endpoints = (
        Endpoint("list", "GET", "/api/v1/tasks/", TASK_READ, 200,
                 check=lambda ctx, r: {t["name"] for t in r.json()["results"]} >= {"http-task", "shell-task"}),
        Endpoint("retrieve", "GET", lambda c: f"/api/v1/tasks/{c['task'].pk}/", TASK_READ, 200,
                 check=lambda ctx, r: r.json()["spec"] == ctx["task"].spec),
        Endpoint("next-fires", "GET", lambda c: f"/api/v1/tasks/{c['task'].pk}/next-fires/?n=3", TASK_READ, 200,
                 check=_fires),
        Endpoint("create", "POST", "/api/v1/tasks/", TASK_WRITE, 201, body=HTTP_TASK,
                 check=lambda ctx, r: r.json()["schedule"] == {"interval_seconds": 10}),
        Endpoint("update", "PUT", lambda c: f"/api/v1/tasks/{c['task'].pk}/", TASK_WRITE, 200,
                 body={**HTTP_TASK, "name": "renamed"}, check=lambda ctx, r: r.json()["name"] == "renamed"),
        Endpoint("partial-update", "PATCH", lambda c: f"/api/v1/tasks/{c['task'].pk}/", TASK_WRITE, 200,
                 body={"description": "edited"}),
        Endpoint("destroy", "DELETE", lambda c: f"/api/v1/tasks/{c['task'].pk}/", TASK_WRITE, 204),
        Endpoint("trigger", "POST", lambda c: f"/api/v1/tasks/{c['task'].pk}/trigger/", TASK_WRITE, 201,
                 body={"params": {"who": "ops"}},
                 check=lambda ctx, r: (r.json()["trigger"], r.json()["params"]) == ("api", {"who": "ops"})),
        Endpoint("pause", "POST", lambda c: f"/api/v1/tasks/{c['task'].pk}/pause/", TASK_WRITE, 200,
                 check=lambda ctx, r: r.json()["enabled"] is False),
        Endpoint("resume", "POST", lambda c: f"/api/v1/tasks/{c['paused'].pk}/resume/", TASK_WRITE, 200,
                 check=lambda ctx, r: r.json()["enabled"] is True),
    )

    @pytest.fixture
    def ctx(self, make_task):
        return {
            "task": make_task("http-task", type="http", schedule={"cron": "*/5 * * * *", "timezone": "Europe/Berlin"}),
            "shell": make_task("shell-task", type="shell"),
            "paused": make_task("paused-task", type="http", enabled=False),
        }
