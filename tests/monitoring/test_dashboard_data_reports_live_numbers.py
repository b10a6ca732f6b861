"""/dashboard/data: the numbers operators watch, computed from the database, Redis and the broker."""

import pytest
from django.contrib.auth.models import User

from monitoring_app import dashboard as dashboard_services
from tests.monitoring.helpers import seed_live_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    client.force_login(User.objects.create_user("ops", password="x", is_staff=True))
    return client


def test_every_section_has_its_numbers(staff, redis_prefix, monkeypatch):
    # The page waits 3 s for the broker's queue depths, then shows the section unavailable; a
    # fresh broker connection on a loaded machine can take longer, and that is not under test.
    monkeypatch.setattr(dashboard_services, "QUEUE_DEPTH_TIMEOUT", 30.0)
    seeded = seed_live_data()
    data = staff.get("/dashboard/data").json()

    assert [i["instance_id"] for i in data["instances"]["items"]] == ["ctrl-a", "ctrl-b"]
    assert data["instances"]["leader"] == "ctrl-b"
    assert [i["leader"] for i in data["instances"]["items"]] == [False, True]
    workers = {w["worker_id"]: w for w in data["workers"]["items"]}
    node7 = workers["node-7"]
    assert (node7["load_percent"], node7["running"], node7["healthy"]) == (25, 1, True)
    assert workers["node-8"]["healthy"] is False and workers["node-8"]["stalled_since"]
    assert data["workers"]["unhealthy"] == 1
    assert [r["id"] for r in data["runs"]["running"]] == [seeded["running"].pk]
    assert data["runs"]["running"][0]["task"] == "nightly-report"
    assert len(data["runs"]["recent"]) == 6
    assert data["failure_rate"] == {"available": True, "failed": 2, "ended": 5, "percent": 40.0}
    assert data["dead_letters"]["runs"] == 1
    assert data["dead_letters"]["streams"] == [{"instance_id": "ctrl-a", "depth": 2}]
    assert data["dead_letters"]["total"] == 3
    assert data["queues"]["available"] is True, data["queues"]
    assert "tasks.shell" in {q["name"] for q in data["queues"]["items"]}


def test_fragments_render_the_same_sections(staff, redis_prefix):
    seed_live_data()
    fragments = staff.get("/dashboard/data?fragments=1").json()["fragments"]
    assert "node-7" in fragments["workers"] and "stalled for 3m" in fragments["workers"]
    assert "Leader: <strong>ctrl-b</strong>" in fragments["instances"]
    assert "nightly-report" in fragments["running"]


def test_no_instances_and_no_leader_say_none(staff, redis_prefix):
    data = staff.get("/dashboard/data?fragments=1").json()
    assert data["instances"]["items"] == [] and data["instances"]["leader"] is None
    assert "Leader: <strong>none</strong>" in data["fragments"]["instances"]
    assert "none (no presence key in Redis)" in data["fragments"]["instances"]
