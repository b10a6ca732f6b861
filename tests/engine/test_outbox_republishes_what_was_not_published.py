"""Guarantee 2: a run is written with its outbox entry; if publishing did not happen (the
process died after commit, the broker was away) the sweep publishes it later, once."""

import datetime as dt

from celery import current_app
from django.utils import timezone

from tasks_app import states
from tasks_app.models import OutboxEntry, Run
from tasks_app.services import dispatch


def test_the_run_and_its_outbox_entry_are_written_together(make_task, no_publish):
    run = dispatch.create_run(make_task(), Run.Trigger.MANUAL)  # on_commit never runs: "the process died"
    entry = OutboxEntry.objects.get(run=run)
    assert entry.published_at is None and entry.message_id == run.execution_id
    assert Run.objects.get(pk=run.pk).status == states.PENDING


def test_the_sweep_publishes_stale_entries_and_marks_the_run_queued(make_task, no_publish):
    run = dispatch.create_run(make_task(), Run.Trigger.MANUAL)
    assert dispatch.republish_stale(older_than_seconds=0) == 0  # its writer's claim still holds
    # The writer died holding its claim: past the claim timeout the sweep takes the entry over.
    past = timezone.now() - dt.timedelta(seconds=dispatch.claim_timeout_seconds() + 1)
    OutboxEntry.objects.update(created_at=past, claimed_at=past)
    assert dispatch.republish_stale() == 1
    assert [name for name, _ in no_publish] == ["workers.execute"]
    assert no_publish[0][1]["task_id"] == run.execution_id
    assert Run.objects.get(pk=run.pk).status == states.QUEUED
    assert dispatch.republish_stale() == 0  # published once


def test_a_broker_failure_leaves_the_entry_for_the_next_sweep(make_task, monkeypatch,
                                                              django_capture_on_commit_callbacks):
    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(current_app, "send_task", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        run = dispatch.create_run(make_task(), Run.Trigger.MANUAL)
    entry = OutboxEntry.objects.get(run=run)
    assert entry.published_at is None and "broker unreachable" in entry.last_error
    assert entry.publish_attempts == 1
    assert entry.claimed_at is None and entry.claim_token == ""  # given back: the next sweep takes it
