import pytest

from scheduler_project.api.permissions import TASK_READ, TASK_WRITE
from tasks_app.models import Run
from tests.api.resource_suite import Endpoint, ResourceSuite


def _listed(ctx, response):
    [letter] = response.json()["results"]
    assert letter["id"] == f"run-{ctx['dead'].pk}" and letter["source"] == "run"
    assert letter["reason"] == "retries exhausted" and letter["attempts"] == 4


class TestDeadLetters(ResourceSuite):
    endpoints = (
        Endpoint("list", "GET", "/api/v1/deadletters/", TASK_READ, 200, check=_listed),
        Endpoint("retrieve", "GET", lambda c: f"/api/v1/deadletters/run-{c['dead'].pk}/", TASK_READ, 200),
        Endpoint("replay", "POST", lambda c: f"/api/v1/deadletters/run-{c['dead'].pk}/replay/", TASK_WRITE, 201,
                 body={"params": {"fixed": True}},
                 check=lambda ctx, r: r.json()["params"] == {"a": 1, "fixed": True}),
        Endpoint("purge", "POST", "/api/v1/deadletters/purge/", frozenset(), 200, body={},
                 check=lambda ctx, r: r.json() == {"source": "run", "deleted": 1}
                 and not Run.objects.filter(status="dead").exists()),
    )

    @pytest.fixture
    def ctx(self, make_task, make_run):
        task = make_task()
        make_run(task, "failed")  # not a dead letter
        return {"dead": make_run(task, "dead", error="retries exhausted", attempt=4, params={"a": 1})}


def test_purge_filters_by_age_and_task(admin_client, make_task, make_run):
    from django.utils import timezone

    old, new = make_task("old"), make_task("new")
    long_ago = timezone.now() - timezone.timedelta(days=40)
    make_run(old, "dead", created_at=long_ago, finished_at=long_ago)
    make_run(old, "dead")
    make_run(new, "dead", created_at=long_ago, finished_at=long_ago)

    response = admin_client.post("/api/v1/deadletters/purge/", {"older_than": "30d", "task": old.pk}, format="json")
    assert response.json() == {"source": "run", "deleted": 1}
    assert Run.objects.filter(status="dead").count() == 2
    bad = admin_client.post("/api/v1/deadletters/purge/", {"older_than": "last week"}, format="json")
    assert bad.status_code == 400 and "older_than" in bad.json()["error"]["fields"]


def test_replaying_what_is_not_dead_is_not_found_here(admin_client, make_task, make_run):
    run = make_run(make_task(), "succeeded")
    assert admin_client.post(f"/api/v1/deadletters/run-{run.pk}/replay/", {}, format="json").status_code == 404
