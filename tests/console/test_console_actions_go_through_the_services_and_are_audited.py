"""Each console action does what the API's does, through the same service, records who did it,
and writes an audit entry (source "console", the API's action names) in the same transaction."""

from audit_app.models import AuditEntry
from scheduler_project.redis_store import keys
from scheduler_project.redis_store.client import get_redis
from tasks_app import states
from tasks_app.models import Run
from workers_app.models import Worker


def audited(action: str, **fields) -> AuditEntry:
    return AuditEntry.objects.get(source="console", action=action, **fields)


def test_trigger_pause_resume(signed_in, world):
    operator = signed_in("TaskWrite", name="operator")
    berlin = world["berlin"]
    response = operator.post(f"/ui/tasks/{berlin.pk}/trigger/", {"param_key": ["region", "limit", "extra"],
                                                                 "param_value": ["us", "5", "yes"]})
    run = Run.objects.filter(task=berlin, trigger="manual").latest("pk")
    assert response.status_code == 302 and response["Location"] == f"/ui/runs/{run.pk}/"
    # limit unchanged keeps its type (5, not "5"); edited and new values are text
    assert run.params == {"region": "us", "limit": 5, "extra": "yes"} and run.triggered_by == "user:operator"
    assert audited("task.trigger", object_id=str(berlin.pk)).status_code == 201

    operator.post(f"/ui/tasks/{berlin.pk}/pause/")
    berlin.refresh_from_db()
    assert not berlin.enabled and audited("task.pause").before["enabled"] is True
    operator.post(f"/ui/tasks/{berlin.pk}/resume/")
    berlin.refresh_from_db()
    assert berlin.enabled and audited("task.resume").after["enabled"] is True


def test_cancel_and_replay(signed_in, world):
    operator = signed_in("TaskWrite", name="operator")
    running, dead = world["running"], world["dead"]
    operator.post(f"/ui/runs/{running.pk}/cancel/")
    running.refresh_from_db()
    assert running.cancel_requested_at and running.cancelled_by == "user:operator"
    assert audited("run.cancel", object_id=str(running.pk)).status_code == 202

    response = operator.post(f"/ui/runs/{dead.pk}/replay/", {"param_key": ["region"], "param_value": ["ap"]})
    new = Run.objects.get(replay_of=dead)
    assert response["Location"] == f"/ui/runs/{new.pk}/"
    assert new.trigger == "replay" and new.params == {"region": "ap", "limit": 5} and new.triggered_by == "user:operator"
    assert audited("run.replay").status_code == 201

    # A refusal (a finished run cannot be cancelled): nothing changes, the 409 is recorded.
    response = operator.post(f"/ui/runs/{world['runs'][0].pk}/cancel/", follow=True)
    assert "is already succeeded" in response.content.decode()
    assert audited("run.cancel", object_id=str(world["runs"][0].pk)).status_code == 409


def test_drain_with_a_deadline_and_resume(signed_in, world):
    ops = signed_in("WorkerWrite", name="ops")
    response = ops.post("/ui/workers/node-1/drain/", {"deadline_seconds": "120"}, follow=True)
    assert "Draining node-1" in response.content.decode()
    worker = Worker.objects.get(worker_id="node-1")
    assert worker.status == "draining" and worker.drain_requested_by == "user:ops"
    assert 110 < (worker.drain_deadline - worker.drain_requested_at).total_seconds() <= 120
    assert audited("worker.drain", object_id="node-1").status_code == 200
    bad = ops.post("/ui/workers/node-2/drain/", {"deadline_seconds": "0"}, follow=True)
    assert "deadline_seconds" in bad.content.decode() and Worker.objects.get(worker_id="node-2").status == "online"
    ops.post("/ui/workers/node-1/resume/")
    assert Worker.objects.get(worker_id="node-1").status == "online"
    assert audited("worker.resume", object_id="node-1")


def test_dead_letters_replay_and_purge(signed_in, world):
    admin = signed_in(superuser=True)
    dead, letter = world["dead"], world["letter"]
    response = admin.post(f"/ui/deadletters/run-{dead.pk}/replay/", {"param_key": ["region"], "param_value": ["sa"]})
    new = Run.objects.get(replay_of=dead)
    assert response["Location"] == f"/ui/runs/{new.pk}/" and new.params == {"region": "sa", "limit": 5}
    assert audited("dead_letter.replay", object_id=f"run-{dead.pk}").status_code == 201

    admin.post(f"/ui/deadletters/{letter}/replay/")
    assert get_redis().xlen(keys.dlq("ctrl-a")) == 0 and get_redis().xlen(keys.inbox("ctrl-a")) == 1
    assert audited("dead_letter.replay", object_id=letter).status_code == 201

    admin.post("/ui/deadletters/purge/", {"letter": f"run-{dead.pk}"})
    assert not Run.objects.filter(pk=dead.pk, status=states.DEAD).exists()
    assert audited("dead_letter.purge", object_id=f"run-{dead.pk}")
