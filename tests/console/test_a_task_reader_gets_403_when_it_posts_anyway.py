"""A user with read roles only who posts an action anyway (a hand-made form, a script) gets
403, nothing changes, and the refusal is in the audit log like the API's refusals."""

from audit_app.models import AuditEntry
from tasks_app import states
from tasks_app.models import Run, Task
from workers_app.models import Worker


def test_every_action_is_refused_and_changes_nothing(signed_in, world):
    reader = signed_in("TaskRead", "WorkerRead", name="reader")
    berlin, running, dead = world["berlin"], world["running"], world["dead"]
    runs_before = Run.objects.count()
    posts = {
        f"/ui/tasks/{berlin.pk}/trigger/": {"param_key": ["x"], "param_value": ["1"]},
        f"/ui/tasks/{berlin.pk}/pause/": {},
        f"/ui/tasks/{berlin.pk}/edit/": {"name": "renamed", "type": "shell", "command": "rm -rf /"},
        "/ui/tasks/new/": {"name": "sneaky", "type": "http", "url": "http://example.com"},
        f"/ui/runs/{running.pk}/cancel/": {},
        f"/ui/runs/{dead.pk}/replay/": {},
        "/ui/workers/node-1/drain/": {"deadline_seconds": "60"},
        "/ui/workers/node-3/resume/": {},
        f"/ui/deadletters/run-{dead.pk}/replay/": {},
        f"/ui/deadletters/{world['letter']}/replay/": {},
        "/ui/deadletters/purge/": {"letter": f"run-{dead.pk}"},
    }
    for path, data in posts.items():
        response = reader.post(path, data)
        assert response.status_code == 403, (path, response.status_code)
        assert "needs one of the roles" in response.content.decode(), path

    berlin.refresh_from_db()
    assert berlin.enabled and berlin.name == "nightly-report"
    assert not Task.objects.filter(name="sneaky").exists()
    assert Run.objects.count() == runs_before
    assert Run.objects.get(pk=running.pk).status == states.RUNNING
    assert Run.objects.get(pk=dead.pk).status == states.DEAD
    assert Worker.objects.get(worker_id="node-1").status == "online"
    assert Worker.objects.get(worker_id="node-3").status == "draining"
    refusals = AuditEntry.objects.filter(principal="user:reader", source="console", status_code=403)
    assert refusals.count() == len(posts)
    assert set(refusals.values_list("action", flat=True)) >= {"task.trigger", "run.cancel", "worker.drain",
                                                              "dead_letter.purge"}


def test_a_task_writer_may_not_purge_nor_drain(signed_in, world):
    writer = signed_in("TaskWrite", "WorkerRead", name="writer")
    assert writer.post("/ui/deadletters/purge/", {"older_than": "1s"}).status_code == 403  # purge needs Admin
    assert writer.post("/ui/workers/node-1/drain/", {}).status_code == 403  # drain needs WorkerWrite
    assert Run.objects.filter(pk=world["dead"].pk).exists()
