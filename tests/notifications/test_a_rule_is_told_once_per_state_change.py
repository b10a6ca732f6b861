"""Flap control, in the transaction of the conclusion itself: one notification per state change
(first failure, the Nth in a row, dead, recovery), not per run; succeeded and cancelled per run
when asked for; min_interval_seconds holds back the rest. Nothing is delivered here (the kicks
are captured): tests/notifications/test_a_webhook_receiver_gets_one_message_per_state_change.py
does that with real processes."""

import pytest

from notifications_app.models import Channel, Notification, Rule, TaskHealth
from notifications_app.outbox import rules_cache
from tasks_app import states
from tasks_app.models import Task
from tasks_app.services import cancelling, dispatch
from tests.notifications.helpers import conclude


@pytest.fixture(autouse=True)
def _fresh_rules(no_publish):
    rules_cache.forget()
    yield
    rules_cache.forget()


@pytest.fixture
def channel(db):
    return Channel.objects.create(name="ops", type="webhook", url="http://127.0.0.1:9/hook")


def rule(channel, **fields) -> Rule:
    made = Rule.objects.create(channel=channel, **fields)
    rules_cache.forget()
    return made


def told(rule_) -> list[tuple[str, int]]:
    return [(n.event, n.run_id) for n in Notification.objects.filter(rule=rule_).order_by("id")]


def test_failures_in_a_row_are_one_message_then_one_recovery(make_task, channel):
    task = make_task(max_retries=0)
    first = rule(channel, events=["failed", "recovered"])
    third = rule(channel, events=["failed"], after_consecutive=3)
    runs = [conclude(task, "failed", exit_code=1) for _ in range(4)]
    assert told(first) == [("failed", runs[0].pk)]
    assert told(third) == [("failed", runs[2].pk)]
    assert TaskHealth.objects.get(pk=task.pk).consecutive_failures == 4
    ok = conclude(task, "succeeded", exit_code=0)
    assert told(first) == [("failed", runs[0].pk), ("recovered", ok.pk)]
    assert told(third) == [("failed", runs[2].pk)]  # it asked for no recovery
    conclude(task, "succeeded")
    again = conclude(task, "failed")
    assert told(first)[-1] == ("failed", again.pk)  # a new streak is a new state change


def test_the_body_carries_the_run(make_task, channel):
    task = make_task(name="nightly", max_retries=0, tags=["db"])
    rule(channel, events=["failed"], tags=["db"])
    run = conclude(task, "failed", exit_code=3, stdout="".join(f"line {i}\n" for i in range(30)), error="boom")
    body = Notification.objects.get().payload
    assert body["event"] == "failed" and body["title"] == "nightly failed"
    assert body["task"] == {"id": task.pk, "name": "nightly", "type": "shell", "tags": ["db"]}
    assert body["run"]["id"] == run.pk and body["run"]["exit_code"] == 3 and body["run"]["error"] == "boom"
    assert body["run"]["previous_status"] == "running"
    assert body["run"]["output"] == [f"line {i}" for i in range(10, 30)]  # the last 20 lines
    assert body["links"]["api"].endswith(f"/api/v1/runs/{run.pk}/")
    assert body["links"]["console"].endswith(f"/ui/runs/{run.pk}")


def test_a_tag_rule_covers_only_tasks_with_every_tag(make_task, channel):
    rule(channel, events=["failed"], tags=["db", "eu"])
    tagged = make_task(name="a", max_retries=0, tags=["eu", "db", "x"])
    partly = make_task(name="b", max_retries=0, tags=["db"])
    conclude(tagged, "failed")
    conclude(partly, "failed")
    assert list(Notification.objects.values_list("task_id", flat=True)) == [tagged.pk]


def test_dead_and_timed_out_are_failures_labelled_as_such(make_task, channel):
    retried = make_task(name="retried", max_retries=1)
    dead_rule = rule(channel, events=["dead"], task=retried)
    conclude(retried, "failed", attempt=1)  # retrying: not a conclusion of the run
    assert told(dead_rule) == []
    dead = conclude(retried, "failed", attempt=2)
    assert dead.status == states.DEAD
    assert told(dead_rule) == [("dead", dead.pk)]
    slow = make_task(name="slow", max_retries=0)
    both = rule(channel, events=["failed", "timed_out"], task=slow)
    timed_out = conclude(slow, "timed_out")
    assert told(both) == [("timed_out", timed_out.pk)]


def test_succeeded_and_cancelled_are_told_per_run_when_asked(make_task, channel):
    task = make_task(max_retries=0)
    every = rule(channel, events=["succeeded", "cancelled"])
    a, b = conclude(task, "succeeded"), conclude(task, "succeeded")
    queued = dispatch.create_run(task, "manual")
    cancelling.request_cancel(queued.pk, by="key:ops")
    assert told(every) == [("succeeded", a.pk), ("succeeded", b.pk), ("cancelled", queued.pk)]


def test_min_interval_holds_back_messages(make_task, channel):
    task = make_task(max_retries=0)
    quiet = rule(channel, events=["succeeded"], min_interval_seconds=3600)
    first = conclude(task, "succeeded")
    conclude(task, "succeeded")
    assert told(quiet) == [("succeeded", first.pk)]


def test_a_disabled_rule_or_channel_is_silent_and_nothing_is_written(make_task, channel):
    task = make_task(max_retries=0)
    rule(channel, events=["failed"], enabled=False)
    conclude(task, "failed")
    assert not Notification.objects.exists()
    assert not TaskHealth.objects.exists()  # tasks no rule covers keep no state at all


def test_auto_pause_after_n_failures_says_so(make_task, channel, django_capture_on_commit_callbacks):
    task = make_task(max_retries=0, schedule={"interval_seconds": 60})
    pausing = rule(channel, events=["failed"], pause_after=2, after_consecutive=5)
    with django_capture_on_commit_callbacks(execute=True):
        conclude(task, "failed")
    assert Task.objects.get(pk=task.pk).enabled
    with django_capture_on_commit_callbacks(execute=True):
        second = conclude(task, "failed")
    assert not Task.objects.get(pk=task.pk).enabled
    assert told(pausing) == [("paused", second.pk)]
    paused = Notification.objects.get(event="paused").payload
    assert "paused after 2 consecutive failures" in paused["sla"]["description"]


def test_a_broken_receiver_never_fails_the_conclusion(make_task, channel, monkeypatch):
    from notifications_app import outbox

    task = make_task(max_retries=0)
    rule(channel, events=["failed"])

    def broken(*args, **kwargs):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM no_such_table")  # a database error inside the transaction

    monkeypatch.setattr(outbox, "run_concluded_in_transaction", broken)
    run = conclude(task, "failed")
    assert run.status == states.FAILED and run.attempts.get().status == "failed"
    assert not Notification.objects.exists()
