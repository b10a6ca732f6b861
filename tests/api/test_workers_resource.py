import pytest

from scheduler_project.api.permissions import WORKER_READ, WORKER_WRITE
from tests.api.resource_suite import Endpoint, ResourceSuite, assert_error


class TestWorkers(ResourceSuite):
    endpoints = (
        Endpoint("list", "GET", "/api/v1/workers/", WORKER_READ, 200,
                 check=lambda ctx, r: [w["worker_id"] for w in r.json()["results"]] == ["node-1.example"]),
        Endpoint("retrieve", "GET", "/api/v1/workers/node-1.example/", WORKER_READ, 200,
                 check=lambda ctx, r: r.json()["status"] == "online" and r.json()["queues"] == ["tasks.shell"]),
        Endpoint("drain", "POST", "/api/v1/workers/node-1.example/drain/", WORKER_WRITE, 200,
                 body={"deadline_seconds": 600},
                 check=lambda ctx, r: r.json()["status"] == "draining" and r.json()["drain_requested_by"]),
        Endpoint("resume", "POST", "/api/v1/workers/node-1.example/resume/", WORKER_WRITE, 200,
                 check=lambda ctx, r: r.json()["status"] == "online"),
    )

    @pytest.fixture
    def ctx(self, make_worker):
        return {"worker": make_worker("node-1.example")}


def test_draining_an_unknown_worker_is_404(admin_client):
    assert_error(admin_client.post("/api/v1/workers/nobody/drain/", {}, format="json"), 404, "not_found")


def test_drain_records_who(key_client, make_worker):
    make_worker("w9")
    client = key_client("WorkerWrite", name="deployer")
    assert client.post("/api/v1/workers/w9/drain/", {}, format="json").json()["drain_requested_by"] == "key:deployer"
