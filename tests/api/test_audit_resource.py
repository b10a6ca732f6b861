import pytest

from audit_app.services import record
from scheduler_project.api.permissions import SYSTEM_READ
from tests.api.resource_suite import Endpoint, ResourceSuite


class TestAuditLog(ResourceSuite):
    endpoints = (
        Endpoint("list", "GET", "/api/v1/audit/?action=task.create", SYSTEM_READ, 200,
                 check=lambda ctx, r: [e["id"] for e in r.json()["results"]] == [ctx["entry"].pk]),
        Endpoint("retrieve", "GET", lambda c: f"/api/v1/audit/{c['entry'].pk}/", SYSTEM_READ, 200,
                 check=lambda ctx, r: r.json()["after"] == {"name": "t"}),
    )

    @pytest.fixture
    def ctx(self, db):
        return {"entry": record(principal="key:ci", action="task.create", source="api", object_type="task",
                                object_id="1", after={"name": "t"})}
