"""`sh -c 'sleep 100 & sleep 100'`: with a 6 s timeout it ends timed_out, cancelled it ends
cancelled, and in both cases no `sleep` of it survives."""

import random

import pytest

from tasks_app.models import Task
from tasks_app.services import cancelling, definitions
from tests.support.processes import sleepers, wait_for

pytestmark = pytest.mark.e2e


def test_timeout_kills_the_whole_group(platform):
    platform.start("control")
    platform.start("worker")
    seconds = random.randint(1000, 9999)  # unique, so parallel tests don't see each other's sleeps
    task = Task.objects.create(
        name="hang", type="shell", spec={"command": f"sleep {seconds} & sleep {seconds}"}, timeout_seconds=6, max_retries=0
    )
    run = definitions.trigger(task)
    # Both sleeps live for the 6 s of the timeout from their start, whether or not control has
    # recorded `running` yet: look for them first (a loaded machine can be slow to record it).
    wait_for(lambda: len(sleepers(seconds)) == 2, 30, "both sleeps")
    run = platform.wait_run(run.pk, {"timed_out", "failed", "succeeded"}, timeout=30)
    assert run.status == "timed_out"
    assert sleepers(seconds) == []


def test_cancel_kills_the_whole_group_and_records_who(platform):
    platform.start("control")
    platform.start("worker")
    seconds = random.randint(1000, 9999)
    task = Task.objects.create(name="hang", type="shell", spec={"command": f"sleep {seconds} & sleep {seconds}"})
    run = definitions.trigger(task)
    platform.wait_run(run.pk, "running")
    wait_for(lambda: len(sleepers(seconds)) == 2, 10, "both sleeps")

    cancelling.request_cancel(run.pk, by="alice")
    run = platform.wait_run(run.pk, {"cancelled", "failed", "succeeded"}, timeout=30)
    assert run.status == "cancelled"
    assert run.cancelled_by == "alice" and run.cancel_requested_at is not None
    assert sleepers(seconds) == []


def test_a_run_cancelled_while_queued_never_starts(platform):
    # No worker yet: the run waits in the queue, is cancelled there, then a worker comes.
    platform.start("control")
    task = Task.objects.create(name="never", type="shell", spec={"command": "echo started > /dev/null"})
    run = definitions.trigger(task)
    platform.wait_run(run.pk, "queued")
    cancelling.request_cancel(run.pk, by="bob")
    platform.start("worker")
    platform.wait_run(run.pk, "cancelled")
    import time

    time.sleep(3)  # time enough for the worker to take the message
    run.refresh_from_db()
    assert run.status == "cancelled" and run.started_at is None
