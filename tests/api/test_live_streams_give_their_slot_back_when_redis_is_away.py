"""Issue 14 item 9: a live-stream request made while Redis is away is answered 503 with the API's
error body and gives its stream slot back, so that once Redis returns streams work again without
a restart; a stream's slot goes back when its response is closed, read or not, and its session
then only waits sessions.RESUME_SECONDS for the client to resume (issue 16) before it lapses."""

import json
import time

import pytest

from instances_app import sessions, streams
from scheduler_project.redis_store import keys
from scheduler_project.redis_store.client import get_redis
from tasks_app.models import Run, Task
from tests.services import free_port


@pytest.fixture
def run(db):
    task = Task.objects.create(name="watched", type="shell", spec={"command": "true"})
    return Run.objects.create(task=task, trigger="manual", status="running")


def free_slots() -> int:
    return streams.slots().semaphore._value


def assert_session_released(settings):
    """The closed stream's session is either gone or only kept for a resume, RESUME_SECONDS at most."""
    held = get_redis().hgetall(keys.sessions(settings.INSTANCE_ID))
    for record in held.values():
        assert json.loads(record)["expires"] <= time.time() + sessions.RESUME_SECONDS + 1


def redis_away(settings):
    p2 = settings.TP.scheduler.phase2
    settings.TP = settings.TP.model_copy(update={"scheduler": settings.TP.scheduler.model_copy(update={
        "phase2": p2.model_copy(update={"redis": p2.redis.model_copy(update={
            "url": f"redis://127.0.0.1:{free_port()}/0"})})})})


def test_streams_during_a_redis_outage_answer_503_and_keep_no_slot(admin_client, run, redis_prefix, settings):
    slots = free_slots()
    up = settings.TP
    redis_away(settings)
    for _ in range(slots + 2):
        response = admin_client.get(f"/api/v1/runs/{run.pk}/events", HTTP_ACCEPT="text/event-stream")
        assert response.status_code == 503
        assert response["Content-Type"].startswith("application/json")
        error = json.loads(response.content)["error"]
        assert error["code"] == "unavailable" and "Redis" in error["message"]
    assert free_slots() == slots

    settings.TP = up
    response = admin_client.get(f"/api/v1/runs/{run.pk}/events", HTTP_ACCEPT="text/event-stream")
    assert response.status_code == 200
    chunks = iter(response.streaming_content)
    assert next(chunks).startswith(b": session")
    assert b"event: status" in next(chunks)
    assert free_slots() == slots - 1
    response.close()
    assert free_slots() == slots
    assert_session_released(settings)


def test_a_stream_closed_before_its_first_byte_gives_everything_back(admin_client, run, redis_prefix, settings):
    slots = free_slots()
    response = admin_client.get(f"/api/v1/runs/{run.pk}/events", HTTP_ACCEPT="text/event-stream")
    assert response.status_code == 200 and free_slots() == slots - 1
    assert get_redis().hlen(keys.sessions(settings.INSTANCE_ID)) == 1
    response.close()  # the client went away before the server wrote anything
    assert free_slots() == slots
    assert_session_released(settings)


def test_every_slot_busy_is_a_503_with_the_error_body(admin_client, run, redis_prefix):
    held = [admin_client.get(f"/api/v1/runs/{run.pk}/events", HTTP_ACCEPT="text/event-stream")
            for _ in range(free_slots())]
    try:
        response = admin_client.get(f"/api/v1/runs/{run.pk}/events", HTTP_ACCEPT="text/event-stream")
        assert response.status_code == 503
        assert "slot" in json.loads(response.content)["error"]["message"]
    finally:
        for stream in held:
            stream.close()
