"""Found by B8 (10,000 runs due in one minute): heartbeats and status reports travel on different
queues, so under a burst a node's heartbeats stay current while its `finished` reports wait in
the status queue for minutes; the registry sweep's rule 2 then concluded runs that had succeeded
as lost and ran them again. Rule 2 judges only while the status queue has no backlog, read from
the broker itself."""

import datetime as dt

import pytest
from celery import current_app
from django.utils import timezone
from kombu import Exchange, Queue

from tasks_app import states
from tasks_app.models import Run
from tasks_app.services import dispatch, events
from tests import factories
from workers_app.services import listening, reconcile_running


@pytest.fixture(autouse=True)
def never_consumed():
    listening.reset()
    yield
    listening.reset()


@pytest.fixture
def status_queue(own_status_queue):
    """The test's status queue declared on the configured broker (RabbitMQ or Redis), emptied and
    deleted afterwards."""
    queue = Queue(own_status_queue, Exchange(own_status_queue, type="direct"), routing_key=own_status_queue)
    with current_app.connection_for_write() as connection:
        queue(connection.default_channel).declare()
        yield queue
        bound = queue(connection.default_channel)
        bound.purge()
        bound.delete()


def test_a_silent_run_waits_while_reports_are_queued_and_is_lost_once_they_are_applied(make_task, no_publish,
                                                                                      settings, status_queue):
    grace = dt.timedelta(seconds=settings.TP.dispatcher.worker_timeout_seconds)
    t0 = timezone.now() - 10 * grace
    run = dispatch.create_run(make_task(max_retries=1, retry_delay_seconds=0), Run.Trigger.MANUAL)
    events.apply_event({"kind": "started", "run_id": run.pk, "attempt": 1, "fence": run.fence, "worker": "w1",
                        "node": "worker@w1", "at": t0.isoformat()})
    factories.heartbeat("w1", t0 + dt.timedelta(seconds=1), running=[Run.objects.get(pk=run.pk).execution_id])
    factories.heartbeat("w1", t0 + dt.timedelta(seconds=2), running=[])  # its node no longer runs it
    judged_at = t0 + dt.timedelta(seconds=1) + grace + dt.timedelta(seconds=1)  # past the grace

    with current_app.producer_or_acquire() as producer:  # a report waiting in the status queue
        producer.publish({"kind": "finished"}, exchange=status_queue.exchange, routing_key=status_queue.routing_key,
                         declare=[status_queue], serializer="json")
    assert reconcile_running(judged_at) == []
    assert Run.objects.get(pk=run.pk).status == states.RUNNING

    with current_app.connection_for_write() as connection:
        status_queue(connection.default_channel).purge()  # the control role applied what was queued
    assert reconcile_running(judged_at) == [run.pk]
    assert Run.objects.get(pk=run.pk).status == states.RETRYING
