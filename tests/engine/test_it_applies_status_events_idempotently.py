"""Guarantee 3: events delivered twice or out of order leave the right final state, and an
event of a superseded attempt cannot change the run."""

import pytest

from tasks_app import states
from tasks_app.models import Run
from tasks_app.services import dispatch, events


@pytest.fixture
def run(make_task, no_publish, django_capture_on_commit_callbacks):
    task = make_task(max_retries=0)
    with django_capture_on_commit_callbacks(execute=True):
        created = dispatch.create_run(task, Run.Trigger.MANUAL)
    created.refresh_from_db()
    assert created.status == states.QUEUED
    return created


def event(run, kind, **fields):
    return {"kind": kind, "run_id": run.pk, "attempt": run.attempt, "fence": run.fence,
            "worker": "w1", "node": "worker@w1", **fields}


def test_started_then_finished(run):
    assert events.apply_event(event(run, "started")) == "applied"
    assert events.apply_event(event(run, "finished", status="succeeded", exit_code=0, stdout="ok")) == "applied"
    run.refresh_from_db()
    assert (run.status, run.exit_code, run.stdout, run.worker) == ("succeeded", 0, "ok", "w1")


def test_each_event_twice(run):
    events.apply_event(event(run, "started"))
    assert events.apply_event(event(run, "started")) == "duplicate"
    events.apply_event(event(run, "finished", status="failed", exit_code=1))
    assert events.apply_event(event(run, "finished", status="failed", exit_code=1)) == "ignored"
    run.refresh_from_db()
    assert run.status == "failed"
    assert run.attempts.count() == 1


def test_finished_before_started(run):
    events.apply_event(event(run, "finished", status="succeeded", exit_code=0))
    result = events.apply_event(event(run, "started", at="2026-01-01T00:00:00+00:00"))  # overtaken
    run.refresh_from_db()
    assert run.status == "succeeded"
    assert result == "late"  # the start time is kept, nothing else moves
    assert run.attempts.get().started_at.year == 2026 and run.started_at.year == 2026


def test_a_start_from_another_node_after_the_end_is_stopped(run):
    events.apply_event(event(run, "finished", status="succeeded", exit_code=0))
    straggler = {**event(run, "started"), "worker": "w9", "node": "worker@w9"}
    assert events.apply_event(straggler) == "stopped"
    run.refresh_from_db()
    assert run.status == "succeeded" and run.worker == "w1"


def test_an_event_of_a_superseded_attempt_changes_nothing(run, make_task):
    stale = event(run, "finished", status="succeeded", exit_code=0)
    Run.objects.filter(pk=run.pk).update(attempt=2, fence="newer", status=states.RUNNING, worker="w2")
    assert events.apply_event(stale) == "ignored"
    run.refresh_from_db()
    assert (run.status, run.attempt, run.worker) == ("running", 2, "w2")


def test_a_second_delivery_on_another_node_cannot_end_the_run(run):
    events.apply_event(event(run, "started"))
    duplicate = {**event(run, "started"), "worker": "w2", "node": "worker@w2"}
    assert events.apply_event(duplicate) == "stopped"
    assert events.apply_event({**event(run, "finished", status="cancelled"), "worker": "w2"}) == "ignored"
    run.refresh_from_db()
    assert (run.status, run.worker) == ("running", "w1")


@pytest.mark.parametrize(
    "bad, message",
    [
        ("nonsense", "event must be an object"),
        ({"kind": "started"}, "event lacks run_id"),
        ({"kind": "exploded", "run_id": 1}, "unknown event kind"),
    ],
)
def test_malformed_events_are_rejected_with_a_reason(bad, message, db):
    with pytest.raises(events.InvalidEvent, match=message):
        events.apply_event(bad)


def test_a_finished_event_with_an_unknown_status_is_rejected(run):
    with pytest.raises(events.InvalidEvent, match="status 'exploded'"):
        events.apply_event(event(run, "finished", status="exploded"))
