"""No N+1: each console page runs the same number of queries whether it shows a few rows or
many (more tasks, more runs per task, more workers, more dead runs with attempts)."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.console.world import build_world
from tests.factories import worker as make_worker

PAGES = ["/ui/", "/ui/tasks/", "/ui/tasks/{task}/", "/ui/runs/", "/ui/runs/{run}/", "/ui/runs/{dead}/", "/ui/workers/",
         "/ui/workers/node-1/", "/ui/deadletters/", "/ui/tasks/{task}/edit/", "/ui/tasks/new/"]


def counts(client, world) -> dict[str, int]:
    found = {}
    for page in PAGES:
        path = page.format(task=world["berlin"].pk, run=world["running"].pk, dead=world["dead"].pk)
        client.get(path)  # warm: sessions, caches
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        assert response.status_code == 200, path
        found[page] = len(captured)
    return found


def test_more_rows_cost_no_more_queries(signed_in, redis_prefix, db):
    admin = signed_in(superuser=True)
    world = build_world(extra_tasks=1, runs_per_task=1)
    few = counts(admin, world)

    from tasks_app.models import Run, RunAttempt, Task

    for i in range(12):
        task = Task.objects.create(name=f"more-{i}", type="shell", spec={"command": "true"},
                                   schedule={"cron": f"{i} * * * *", "timezone": "Asia/Tokyo"})
        for status in ("succeeded", "failed", "dead", "running"):
            run = Run.objects.create(task=task, status=status, trigger="manual", worker="node-1")
            if status == "dead":
                RunAttempt.objects.create(run=run, attempt=1, fence="f", status="failed", worker="node-1")
        Run.objects.create(task=world["berlin"], status="succeeded", trigger="manual", worker="node-1")
        make_worker(f"extra-node-{i}")
    many = counts(admin, world)
    assert many == few
    assert 0 < min(many.values()) and max(many.values()) <= 16, many  # and few in absolute terms
