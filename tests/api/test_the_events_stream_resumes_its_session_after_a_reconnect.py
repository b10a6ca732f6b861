"""GET /api/v1/events gives every event an id; a client reconnecting with the last one
(Last-Event-ID) takes its session over and gets every event routed to it meanwhile, in order.
When that is no longer possible (the session expired), the new stream says so first with a
`resync` event instead of pretending nothing was missed."""

import pytest

from instances_app import sessions
from scheduler_project.redis_store import keys
from scheduler_project.redis_store.client import get_redis
from tests.support.sse import Reader

pytestmark = pytest.mark.timeout(90)


def connect(client, task, last_event_id: str = ""):
    extra = {"HTTP_LAST_EVENT_ID": last_event_id} if last_event_id else {}
    response = client.get(f"/api/v1/events?task={task.pk}", HTTP_ACCEPT="text/event-stream", **extra)
    assert response.status_code == 200
    return Reader(response).started()


def status(task, run_id: int, value: str) -> int:
    return sessions.publish({"kind": "status", "run_id": run_id, "task_id": task.pk, "status": value})


def test_a_reconnect_gets_what_was_routed_while_it_was_away(admin_client, redis_prefix, make_task):
    task = make_task("watched")
    reader = connect(admin_client, task)
    assert status(task, 1, "queued") == 1
    first = reader.next()
    assert first.id and first.data["status"] == "queued"
    reader.close()

    # The stream is gone, its session waits for the client: events keep being routed to it.
    assert status(task, 1, "running") == 1
    assert status(task, 2, "queued") == 1

    reader = connect(admin_client, task, last_event_id=first.id)
    try:
        missed = [reader.next(), reader.next()]
        assert [(e.data["run_id"], e.data["status"]) for e in missed] == [(1, "running"), (2, "queued")]
        assert any("(resumed)" in c for c in reader.comments)
        assert status(task, 1, "succeeded") == 1
        assert reader.next().data["status"] == "succeeded"
    finally:
        reader.close()


def test_an_expired_session_is_a_resync(admin_client, redis_prefix, make_task):
    task = make_task("watched")
    reader = connect(admin_client, task)
    status(task, 1, "queued")
    first = reader.next()
    reader.close()
    _, instance, session, *_ = first.id.split(":")
    get_redis().hdel(keys.sessions(instance), session)

    reader = connect(admin_client, task, last_event_id=first.id)
    try:
        resync = reader.next()
        assert resync.event == "resync" and resync.id and "missing" in resync.data["reason"]
        status(task, 1, "running")
        assert reader.next().data["status"] == "running"
    finally:
        reader.close()


def test_a_session_released_by_its_stream_lapses_after_the_resume_window(admin_client, redis_prefix, make_task,
                                                                         monkeypatch):
    monkeypatch.setattr(sessions, "RESUME_SECONDS", -1)  # already over
    task = make_task("watched")
    reader = connect(admin_client, task)
    status(task, 1, "queued")
    reader.next()
    reader.close()
    assert status(task, 1, "running") == 0  # nobody to route to any more
