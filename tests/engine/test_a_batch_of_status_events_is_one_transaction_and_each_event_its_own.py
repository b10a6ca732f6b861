"""events.apply_batch: the status events of a batch are applied in one transaction, each still
its own compare-and-set, with one verdict per event. A bad event costs only itself (the batch is
applied again one by one); an event a database error stops (a lock it cannot get, a deadlock)
is sent back to its queue (RETRY) while the rest of its batch is applied."""

import threading

import pytest
from django.db import connection, transaction

from tasks_app import states
from tasks_app.models import Run
from tasks_app.services import dispatch, events


def queued(make_run, task, fence):
    return make_run(task, status=states.QUEUED, attempt=1, fence=fence, queue="tasks.shell")


def started(run, worker="w1"):
    return {"kind": "started", "run_id": run.pk, "attempt": 1, "fence": run.fence, "worker": worker,
            "node": f"worker@{worker}"}


def finished(run, status="succeeded", worker="w1"):
    return {**started(run, worker), "kind": "finished", "status": status, "exit_code": 0}


def test_a_batch_applies_each_event_and_answers_for_each(make_task, make_run, redis_prefix,
                                                          django_capture_on_commit_callbacks, monkeypatch):
    monkeypatch.setattr(events, "stop_execution", lambda *args: None)  # a broadcast to the node
    task = make_task(max_retries=0)
    a, b = queued(make_run, task, "fa"), queued(make_run, task, "fb")
    with django_capture_on_commit_callbacks(execute=True) as after_commit:
        verdicts = events.apply_batch([started(b), started(a), finished(a), started(a), finished(b, "failed")])
    assert verdicts == ["applied", "applied", "applied", "stopped", "applied"]  # stopped: started after its end
    assert Run.objects.get(pk=a.pk).status == states.SUCCEEDED
    assert Run.objects.get(pk=b.pk).status == states.FAILED
    assert after_commit  # the after-commit work waited for the batch's commit


def test_a_bad_event_costs_only_itself(make_task, make_run, redis_prefix, django_capture_on_commit_callbacks):
    task = make_task()
    a = queued(make_run, task, "fa")
    bad = {"kind": "started", "run_id": 99999999, "attempt": 1, "fence": "x", "worker": "w1", "node": "worker@w1"}
    with django_capture_on_commit_callbacks(execute=True):
        verdicts = events.apply_batch([started(a), {"kind": "garbage"}, bad, "not an object", finished(a)])
    assert verdicts == ["applied", "rejected", "rejected", "rejected", "applied"]
    run = Run.objects.get(pk=a.pk)
    assert run.status == states.SUCCEEDED and run.started_at is not None
    assert list(run.attempts.values_list("status", flat=True)) == ["succeeded"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks and lock_timeout are PostgreSQL's")
def test_an_event_whose_run_stays_locked_goes_back_and_the_rest_is_applied(make_task, make_run, transactional_db,
                                                                            redis_prefix):
    task = make_task()
    locked, free = queued(make_run, task, "fl"), queued(make_run, task, "ff")
    holding, release = threading.Event(), threading.Event()

    def hold_the_row():  # another transaction holds the run's row, longer than lock_timeout
        try:
            with transaction.atomic():
                Run.objects.select_for_update().get(pk=locked.pk)
                holding.set()
                release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_row)
    holder.start()
    try:
        assert holding.wait(30)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '300ms'")
        verdicts = events.apply_batch([started(locked), started(free), finished(free)])
        assert verdicts == [events.RETRY, "applied", "applied"]
        assert Run.objects.get(pk=locked.pk).status == states.QUEUED
        assert Run.objects.get(pk=free.pk).status == states.SUCCEEDED
    finally:
        release.set()
        holder.join(30)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")
    assert events.apply_batch([started(locked)]) == ["applied"]  # requeued, it applies once the lock is gone
    assert Run.objects.get(pk=locked.pk).status == states.RUNNING


def test_a_held_run_goes_once_the_batch_that_ends_the_run_ahead_commits(make_task, no_publish,
                                                                       django_capture_on_commit_callbacks):
    """Overlap policy queue: the held run is looked for once per task of a batch, after its commit."""
    task, other = make_task(name="queued", overlap_policy="queue"), make_task(name="other")
    with django_capture_on_commit_callbacks(execute=True):
        first = dispatch.create_run(task, Run.Trigger.MANUAL)
        held = dispatch.create_run(task, Run.Trigger.MANUAL)
        others = [dispatch.create_run(other, Run.Trigger.MANUAL) for _ in range(3)]
    first.refresh_from_db()
    assert Run.objects.get(pk=held.pk).hold_reason
    batch = [finished(first, worker="")] + [finished(Run.objects.get(pk=r.pk), worker="") for r in others]
    with django_capture_on_commit_callbacks(execute=True):
        assert events.apply_batch(batch) == ["applied"] * 4
    held.refresh_from_db()
    assert held.status == states.QUEUED and held.hold_reason == ""
