"""Issue 14 item 6: an attempt concluded lost (its node silent or no longer listing it, e.g. its
report held on the node through a broker outage) whose real `finished` arrives before a newer
attempt started: the record takes what really happened. Once a newer attempt started, the late
report changes nothing. And a stop the control role ordered (not a cancel) never becomes the
run's final `cancelled`."""

import pytest
from django.utils import timezone

from tasks_app import states
from tasks_app.models import Run
from tasks_app.services import attempts, dispatch, events


@pytest.fixture
def running(make_task, no_publish, django_capture_on_commit_callbacks):
    def make(**task_fields):
        task_fields.setdefault("retry_delay_seconds", 60)
        with django_capture_on_commit_callbacks(execute=True):
            run = dispatch.create_run(make_task(**task_fields), Run.Trigger.MANUAL)
        run.refresh_from_db()
        assert events.apply_event(event(run, "started")) == "applied"
        return run
    return make


def event(run, kind, **fields):
    return {"kind": kind, "run_id": run.pk, "attempt": run.attempt, "fence": run.fence,
            "worker": "w1", "node": "worker@w1", **fields}


def lose(run):
    return events.conclude_attempt(run.pk, run.attempt, run.fence, states.LOST, {"error": "no longer listed"},
                                   timezone.now(), worker="w1")


@pytest.mark.parametrize("retries, after_lost", [(2, states.RETRYING), (0, states.LOST)])
def test_a_late_success_is_recorded(running, retries, after_lost):
    run = running(max_retries=retries)
    assert lose(run) == after_lost
    assert events.apply_event(event(run, "finished", status="succeeded", exit_code=0)) == "applied"
    run.refresh_from_db()
    assert run.status == states.SUCCEEDED and "concluded lost" in run.error
    assert run.attempts.get(attempt=1).status == states.SUCCEEDED
    assert events.apply_event(event(run, "finished", status="succeeded", exit_code=0)) == "ignored"


def test_a_late_report_after_a_newer_attempt_started_changes_nothing(running, django_capture_on_commit_callbacks):
    run = running(max_retries=2)
    lose(run)
    Run.objects.filter(pk=run.pk).update(next_attempt_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        assert attempts.start_next_attempt(run.pk)
    assert events.apply_event(event(run, "finished", status="succeeded", exit_code=0)) == "ignored"
    assert Run.objects.get(pk=run.pk).attempt == 2
    assert run.attempts.get(attempt=1).status == states.LOST


def test_a_report_of_a_genuine_failure_is_not_taken_twice(running):
    run = running(max_retries=2)
    assert events.apply_event(event(run, "finished", status="failed", exit_code=1)) == "applied"
    assert events.apply_event(event(run, "finished", status="succeeded", exit_code=0)) == "ignored"
    assert Run.objects.get(pk=run.pk).status == states.RETRYING


def test_a_stop_the_control_ordered_is_not_a_cancel(running):
    run = running(max_retries=0)
    assert events.apply_event(event(run, "finished", status="cancelled", error="cancelled")) == "applied"
    run.refresh_from_db()
    assert run.status == states.LOST and "not cancelled" in run.error
