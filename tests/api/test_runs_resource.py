import pytest

from scheduler_project.api.permissions import TASK_READ, TASK_WRITE
from tests.api.resource_suite import Endpoint, ResourceSuite


def _detail(ctx, response):
    body = response.json()
    for field in ("status", "attempt", "exit_code", "stdout", "worker"):  # DESIGN.md's contract
        assert field in body
    assert body["stdout"] == "hello\n" and body["exit_code"] == 1 and body["worker"] == "w1"
    assert [a["attempt"] for a in body["attempts"]] == [1]


class TestRuns(ResourceSuite):
    endpoints = (
        Endpoint("list", "GET", "/api/v1/runs/", TASK_READ, 200,
                 check=lambda ctx, r: "stdout" not in r.json()["results"][0]),
        Endpoint("retrieve", "GET", lambda c: f"/api/v1/runs/{c['failed'].pk}/", TASK_READ, 200, check=_detail),
        Endpoint("cancel", "POST", lambda c: f"/api/v1/runs/{c['queued'].pk}/cancel/", TASK_WRITE, 202,
                 check=lambda ctx, r: r.json()["status"] == "cancelled"),
        Endpoint("replay", "POST", lambda c: f"/api/v1/runs/{c['failed'].pk}/replay/", TASK_WRITE, 201,
                 body={"params": {"n": 2}},
                 check=lambda ctx, r: (r.json()["trigger"], r.json()["replay_of"]) == ("replay", ctx["failed"].pk)),
        # The former name, kept as an alias.
        Endpoint("retry", "POST", lambda c: f"/api/v1/runs/{c['failed'].pk}/retry/", TASK_WRITE, 201,
                 body={"params": {"n": 2}},
                 check=lambda ctx, r: (r.json()["trigger"], r.json()["replay_of"]) == ("replay", ctx["failed"].pk)),
    )

    @pytest.fixture
    def ctx(self, make_task, make_run):
        task = make_task()
        failed = make_run(task, "failed", stdout="hello\n", exit_code=1, worker="w1")
        failed.attempts.create(attempt=1, fence="f", status="failed", worker="w1", exit_code=1)
        return {"task": task, "queued": make_run(task, "queued"), "failed": failed}
