"""GET /api/v1/events?task=ID streams, as Server-Sent Events, the events of that task's runs
that reach this instance's inbox, and nothing of other tasks; nothing published after the
client connected is lost, even before the stream's first read."""

import json

import pytest

from instances_app import sessions
from tasks_app.models import Task


def data_events(chunks, wanted: int) -> list[dict]:
    found = []
    for chunk in chunks:  # the stream's own XREAD blocks at most KEEPALIVE_SECONDS per chunk
        text = chunk.decode() if isinstance(chunk, bytes) else chunk
        found += [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: ")]
        if len(found) >= wanted:
            return found
    return found


@pytest.mark.timeout(60)  # a lost event would leave the stream waiting for an hour
def test_a_task_stream_gets_its_events_only(admin_client, redis_prefix):
    task = Task.objects.create(name="watched", type="shell", spec={"command": "true"})
    other = Task.objects.create(name="other", type="shell", spec={"command": "true"})
    response = admin_client.get(f"/api/v1/events?task={task.pk}", HTTP_ACCEPT="text/event-stream")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/event-stream")
    chunks = iter(response.streaming_content)
    assert next(chunks).startswith(b": session")  # the session is registered now

    # Published before the stream reads the inbox for the first time: still delivered.
    assert sessions.publish({"kind": "status", "run_id": 1, "task_id": other.pk, "status": "running"}) == 0
    assert sessions.publish({"kind": "status", "run_id": 2, "task_id": task.pk, "status": "running"}) == 1
    assert sessions.publish({"kind": "status", "run_id": 2, "task_id": task.pk, "status": "succeeded"}) == 1
    try:
        events = data_events(chunks, 2)
    finally:
        response.close()
    assert [(e["run_id"], e["status"]) for e in events] == [(2, "running"), (2, "succeeded")]


def test_bad_and_unknown_tasks_are_refused(admin_client, redis_prefix):
    assert admin_client.get("/api/v1/events?task=abc").status_code == 400
    assert admin_client.get("/api/v1/events?task=999999").status_code == 404
