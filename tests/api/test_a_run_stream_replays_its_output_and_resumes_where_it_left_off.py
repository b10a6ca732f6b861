"""GET /api/v1/runs/{id}/events starts with every line the run's execution printed so far (a
client connecting late sees line 1), gives every event an id, and a client reconnecting with
the last id it got (Last-Event-ID) gets exactly the lines it missed: none lost, none twice,
whether its session is still there to take over or has expired."""

import pytest

from scheduler_project.redis_store import keys
from scheduler_project.redis_store.client import get_redis
from tasks_app import states
from tasks_app.models import Run
from tasks_app.services import run_events
from tests.support.sse import Reader, lines_of

pytestmark = pytest.mark.timeout(90)  # a lost event would leave a stream waiting for its keep-alive


def printed(run: Run, first: int, last: int) -> None:
    """What the control role does with a worker's output batch."""
    run_events.output({"kind": "output", "run_id": run.pk, "task_id": run.task_id, "attempt": run.attempt,
                       "lines": [["stdout", f"line {n}"] for n in range(first, last + 1)], "first_line": first,
                       "dropped": 0})


def connect(client, run: Run, last_event_id: str = ""):
    extra = {"HTTP_LAST_EVENT_ID": last_event_id} if last_event_id else {}
    response = client.get(f"/api/v1/runs/{run.pk}/events", HTTP_ACCEPT="text/event-stream", **extra)
    assert response.status_code == 200
    return response, Reader(response)


def finish(run: Run) -> None:
    Run.objects.filter(pk=run.pk).update(status=states.SUCCEEDED)
    run_events._send_status(run.pk, states.SUCCEEDED, run.attempt)


@pytest.mark.parametrize("session_survives", [True, False], ids=["session-taken-over", "session-expired"])
def test_a_late_client_gets_line_one_and_a_reconnect_gets_exactly_the_rest(admin_client, redis_prefix, make_task,
                                                                          make_run, session_survives):
    run = make_run(make_task("printer"), states.RUNNING, attempt=1)
    printed(run, 1, 4)  # before anyone watches

    response, reader = connect(admin_client, run)
    first = reader.until(lambda e: e.event == "status")
    assert lines_of(first) == ["line 1", "line 2", "line 3", "line 4"]
    assert first[-1].data["status"] == "running"
    assert all(e.id for e in first), first

    printed(run, 5, 6)
    live = reader.next()
    assert live.event == "output" and lines_of([live]) == ["line 5", "line 6"] and live.data["first_line"] == 5
    assert "ids" not in live.data  # positions travel in the event id only
    reader.close()  # the network blips

    printed(run, 7, 8)  # while nobody is connected
    if not session_survives:
        cursor = live.id.split(":")
        get_redis().hdel(keys.sessions(cursor[1]), cursor[2])

    response, reader = connect(admin_client, run, last_event_id=live.id)
    try:
        if session_survives:
            resumed = [reader.next()]
        else:  # a new session: the kept lines after the cursor's, then the status
            resumed = reader.until(lambda e: e.event == "status")
        assert lines_of(resumed) == ["line 7", "line 8"]
        assert any("(resumed)" in c for c in reader.comments) == session_survives
        finish(run)
        rest = reader.until(lambda e: e.event == "status" and e.data["status"] == "succeeded")
        assert lines_of(rest) == []
    finally:
        reader.close()
    ttl = get_redis().ttl(keys.run_output(run.pk, 1))
    assert 0 < ttl <= 300  # the attempt is over: its kept lines go soon


def test_ids_that_are_not_ours_start_afresh(admin_client, redis_prefix, make_task, make_run):
    run = make_run(make_task("printer"), states.RUNNING, attempt=1)
    printed(run, 1, 2)
    for junk in ("42", "1:x:y:z", "1:a:b:1-0:x:1-0", "🙂"):
        response, reader = connect(admin_client, run, last_event_id=junk)
        try:
            assert lines_of(reader.until(lambda e: e.event == "status")) == ["line 1", "line 2"]
        finally:
            reader.close()
