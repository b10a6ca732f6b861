"""Rule 3 of the worker registry's sweep (workers_app.services.liveness): a run `queued` for longer
than worker_timeout_seconds, on a queue the broker says is empty, whose execution no live node
lists (running, or received and not started), had its message lost (a Redis broker restarted
without persistence, a queue purged): it is published again, once per worker_timeout_seconds,
with the same execution id. Checked against the configured broker: the message is really gone,
then really back."""

import datetime as dt
import secrets

import pytest
from celery import current_app
from django.utils import timezone

from tasks_app import states
from tasks_app.models import Run
from tasks_app.services import dispatch
from workers_app.models import Worker
from workers_app.services import liveness, resend_lost_messages
from workers_app.services.queues import queue_depths


@pytest.fixture
def queued(make_task, own_status_queue, django_capture_on_commit_callbacks):
    """A run published (for real) to a queue of its own that nobody consumes."""
    queue = f"tasks-lost-{secrets.token_hex(4)}.shell"
    task = make_task(queue=queue)
    with django_capture_on_commit_callbacks(execute=True):
        run = dispatch.create_run(task, Run.Trigger.MANUAL)
    run.refresh_from_db()
    assert run.status == states.QUEUED and queue_depths([queue])[queue] == 1
    yield run
    _purge(queue)


def _purge(queue: str) -> None:
    with current_app.connection_for_write() as connection:
        channel = connection.channel()
        try:
            channel.queue_purge(queue)
        finally:
            channel.close()


def _age(run: Run, settings) -> None:
    old = timezone.now() - dt.timedelta(seconds=settings.TP.dispatcher.worker_timeout_seconds + 5)
    Run.objects.filter(pk=run.pk).update(queued_at=old)


def _message_in(queue: str) -> dict:
    with current_app.connection_for_read() as connection:
        message = connection.SimpleQueue(queue).get(timeout=5)
        message.ack()
        return message.headers


def test_a_lost_message_is_published_again_once(queued, settings):
    _purge(queued.queue)  # the broker lost it
    _age(queued, settings)

    assert resend_lost_messages() == [queued.pk]
    assert queue_depths([queued.queue])[queued.queue] == 1
    headers = _message_in(queued.queue)
    assert headers["id"] == queued.execution_id  # the same execution: its start claim fences copies
    queued.refresh_from_db()
    assert queued.status == states.QUEUED and timezone.now() - queued.queued_at < dt.timedelta(seconds=30)

    assert resend_lost_messages() == []  # again only once its new queued_at has aged


def test_a_message_still_in_its_queue_is_left_alone(queued, settings):
    _age(queued, settings)
    assert resend_lost_messages() == []
    assert queue_depths([queued.queue])[queued.queue] == 1


def test_a_run_a_live_node_lists_is_left_alone(queued, settings, beat):
    _purge(queued.queue)  # its node took the message
    _age(queued, settings)
    beat("w1", running=[queued.execution_id])
    assert resend_lost_messages() == []


def test_a_run_a_live_node_holds_unstarted_is_left_alone(queued, settings, beat):
    _purge(queued.queue)  # its node took the message and holds it, prefetched behind a long run
    _age(queued, settings)
    beat("w1", running=["run-1-a1-other"], reserved=[queued.execution_id])
    assert resend_lost_messages() == []
    assert not queue_depths([queued.queue])[queued.queue]  # no second copy (a purged Redis queue is gone: None)


def test_a_run_only_a_dead_node_held_is_published_again(queued, settings, beat):
    _purge(queued.queue)
    _age(queued, settings)
    beat("w1", reserved=[queued.execution_id])
    Worker.objects.filter(worker_id="w1").update(status=Worker.Status.OFFLINE)
    assert resend_lost_messages() == [queued.pk]


def test_it_waits_while_status_reports_are_queued(queued, settings, monkeypatch):
    _purge(queued.queue)
    _age(queued, settings)
    monkeypatch.setattr(liveness, "status_backlog", lambda: 3)  # the run's start claim may be there
    assert resend_lost_messages() == []
    monkeypatch.setattr(liveness, "status_backlog", lambda: 0)
    assert resend_lost_messages() == [queued.pk]


def test_a_run_that_moved_on_is_not_sent(queued, settings):
    _purge(queued.queue)
    _age(queued, settings)
    Run.objects.filter(pk=queued.pk).update(status=states.RUNNING)
    assert resend_lost_messages() == [] and dispatch.resend_current_attempt(queued.pk) is False
