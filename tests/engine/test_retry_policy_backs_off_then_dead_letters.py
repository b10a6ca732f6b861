import random

import pytest
from django.utils import timezone

from tasks_app import states
from tasks_app.models import Run
from tasks_app.services import attempts, definitions, dispatch, events, retry_policy


def test_delay_grows_exponentially_up_to_the_cap(make_task):
    task = make_task(retry_delay_seconds=10, retry_backoff=3, retry_delay_max_seconds=60, retry_jitter=False)
    assert [retry_policy.retry_delay(task, n) for n in (1, 2, 3, 4)] == [10, 30, 60, 60]


def test_jitter_stays_within_a_quarter(make_task):
    task = make_task(retry_delay_seconds=100, retry_backoff=1)
    rng = random.Random(7)
    delays = [retry_policy.retry_delay(task, 1, rng) for _ in range(200)]
    assert min(delays) >= 75 and max(delays) <= 125 and len(set(delays)) > 100


def test_defaults_come_from_the_message_queue_section(make_task, settings):
    task = make_task()
    assert retry_policy.max_retries(task) == settings.TP.message_queue.max_retries
    assert retry_policy.retry_delay(task, 1, random.Random(1)) == pytest.approx(
        settings.TP.message_queue.retry_delay_seconds, rel=0.25
    )


def test_attempts_then_dead(make_task, no_publish, django_capture_on_commit_callbacks):
    task = make_task(max_retries=2, retry_delay_seconds=0, retry_jitter=False)
    with django_capture_on_commit_callbacks(execute=True):
        run = dispatch.create_run(task, Run.Trigger.MANUAL)
    for attempt in (1, 2, 3):
        run.refresh_from_db()
        assert run.attempt == attempt
        finished = {"kind": "finished", "run_id": run.pk, "attempt": attempt, "fence": run.fence,
                    "worker": "w", "node": "worker@w", "status": "failed", "exit_code": 1}
        events.apply_event(finished)
        run.refresh_from_db()
        if attempt < 3:
            assert run.status == states.RETRYING
            with django_capture_on_commit_callbacks(execute=True):
                assert attempts.dispatch_due_retries(timezone.now()) == 1
    assert run.status == states.DEAD
    assert list(run.attempts.values_list("status", flat=True)) == ["failed"] * 3
    executions = [kw["task_id"] for name, kw in no_publish if name == "workers.execute"]
    assert len(executions) == 3 and len(set(executions)) == 3  # each attempt fenced anew


def test_without_retries_the_outcome_is_final(make_task):
    task = make_task(max_retries=0)
    assert retry_policy.outcome_status(task, 1, "timed_out") == "timed_out"
    assert retry_policy.outcome_status(task, 1, "succeeded") == "succeeded"


def test_a_dead_run_replays_with_edited_parameters(make_task, no_publish):
    task = make_task(params={"a": 1, "b": 2})
    dead = Run.objects.create(task=task, trigger="manual", status=states.DEAD, params={"a": 1, "b": 2})
    replayed = definitions.replay(dead, params={"b": 3})
    assert replayed.trigger == "replay" and replayed.replay_of == dead
    assert replayed.params == {"a": 1, "b": 3}
