"""Issue 14 items 2 and 3: a node that keeps heartbeating but no longer runs a run (its pool child
was killed, its `finished` report died with a control process) must not leave the run `running`
forever. Once none of the node's heartbeats has listed the run's execution for
worker_timeout_seconds, the sweep concludes the attempt lost and the run is retried; a run its
node does list is left alone however long it runs."""

import datetime as dt

import pytest
from django.utils import timezone

from tasks_app import states
from tasks_app.models import Run
from tasks_app.services import dispatch, events
from tests import factories
from workers_app.services import listening, reconcile_running


@pytest.fixture(autouse=True)
def never_consumed(own_status_queue):
    listening.reset()
    yield
    listening.reset()


@pytest.fixture
def grace(settings):
    return dt.timedelta(seconds=settings.TP.dispatcher.worker_timeout_seconds)


def started_run(make_task, at, worker="w1", **task_fields):
    run = dispatch.create_run(make_task(max_retries=1, retry_delay_seconds=0, **task_fields), Run.Trigger.MANUAL)
    events.apply_event({"kind": "started", "run_id": run.pk, "attempt": 1, "fence": run.fence, "worker": worker,
                        "node": f"worker@{worker}", "at": at.isoformat()})
    run.refresh_from_db()
    assert run.status == states.RUNNING
    return run


def test_a_run_its_node_keeps_listing_is_left_running(make_task, no_publish, grace):
    t0 = timezone.now() - 10 * grace
    factories.heartbeat("w1", t0 - dt.timedelta(seconds=1))
    run = started_run(make_task, t0)
    for n in range(1, 10):
        factories.heartbeat("w1", t0 + n * grace, running=[run.execution_id])
    assert reconcile_running(t0 + 9 * grace + dt.timedelta(seconds=1)) == []
    assert Run.objects.get(pk=run.pk).status == states.RUNNING


def test_a_run_its_node_stopped_listing_is_lost_after_the_grace(make_task, no_publish, grace):
    t0 = timezone.now() - 10 * grace
    run = started_run(make_task, t0)
    factories.heartbeat("w1", t0 + dt.timedelta(seconds=1), running=[run.execution_id])  # last listed
    factories.heartbeat("w1", t0 + dt.timedelta(seconds=2), running=[])  # gone from the node
    last_listed = t0 + dt.timedelta(seconds=1)

    assert reconcile_running(last_listed + grace - dt.timedelta(seconds=1)) == []  # its report may be on the way
    assert reconcile_running(last_listed + grace + dt.timedelta(seconds=1)) == [run.pk]
    run.refresh_from_db()
    assert run.status == states.RETRYING  # retried per the task's policy
    attempt = run.attempts.get(attempt=1)
    assert attempt.status == states.LOST and "no longer runs it" in attempt.error
    assert reconcile_running(last_listed + 2 * grace) == []  # concluded once


def test_a_run_never_listed_after_its_start_is_lost(make_task, no_publish, grace):
    t0 = timezone.now() - 10 * grace
    run = started_run(make_task, t0)
    factories.heartbeat("w1", t0 + dt.timedelta(seconds=3), running=["run-999-a1-other"])
    assert reconcile_running(t0 + grace + dt.timedelta(seconds=1)) == [run.pk]


def test_a_finished_report_within_the_grace_wins(make_task, no_publish, grace):
    t0 = timezone.now() - 10 * grace
    run = started_run(make_task, t0)
    factories.heartbeat("w1", t0 + dt.timedelta(seconds=1), running=[run.execution_id])
    factories.heartbeat("w1", t0 + dt.timedelta(seconds=2), running=[])
    events.apply_event({"kind": "finished", "run_id": run.pk, "attempt": 1, "fence": run.fence, "worker": "w1",
                        "node": "worker@w1", "status": "succeeded", "exit_code": 0})
    assert reconcile_running(t0 + 3 * grace) == []
    assert Run.objects.get(pk=run.pk).status == states.SUCCEEDED


def test_without_a_newer_heartbeat_a_quiet_node_is_left_to_the_lost_worker_rule(make_task, no_publish, grace):
    t0 = timezone.now() - 10 * grace
    run = started_run(make_task, t0)
    factories.heartbeat("w1", t0 - dt.timedelta(seconds=1))  # before the start: says nothing about the run
    assert reconcile_running(t0 + 2 * grace) == []
    assert Run.objects.get(pk=run.pk).status == states.RUNNING


def test_absence_counts_only_from_when_heartbeats_could_be_received(make_task, no_publish, grace):
    t0 = timezone.now() - 10 * grace
    run = started_run(make_task, t0)
    factories.heartbeat("w1", t0 + dt.timedelta(seconds=1), running=[run.execution_id])
    back = t0 + 2 * grace  # this control process (re)connected to the broker then
    factories.heartbeat("w1", back + dt.timedelta(seconds=1), running=[])
    listening.started(at=back)
    assert reconcile_running(back + grace - dt.timedelta(seconds=1)) == []
    listening.stopped()  # the broker is away again: nothing is judged
    assert reconcile_running(back + 3 * grace) == []
    listening.started(at=back)
    assert reconcile_running(back + grace + dt.timedelta(seconds=1)) == [run.pk]


def test_runs_of_other_nodes_are_not_judged_by_this_ones_heartbeats(make_task, no_publish, grace):
    t0 = timezone.now() - 10 * grace
    run = started_run(make_task, t0, worker="w2")
    factories.heartbeat("w2", t0 + dt.timedelta(seconds=1), running=[run.execution_id])
    factories.heartbeat("w1", t0 + 5 * grace, running=[])
    assert reconcile_running(t0 + dt.timedelta(seconds=1) + grace / 2) == []
    assert Run.objects.get(pk=run.pk).status == states.RUNNING
