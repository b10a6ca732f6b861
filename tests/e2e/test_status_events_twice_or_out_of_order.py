"""Guarantee 3 through the real broker and a real control process: events published twice
and in the wrong order leave the right final state."""

import pytest
from celery import current_app

from tasks_app.models import Run, Task
from tasks_app.services import dispatch
from tests.support.processes import wait_for

pytestmark = pytest.mark.e2e


def test_duplicated_and_reordered_events_leave_the_right_state(platform):
    platform.start("control")
    task = Task.objects.create(name="e", type="shell", spec={"command": "true"}, max_retries=0)
    run = dispatch.create_run(task, Run.Trigger.API)  # no worker: this test plays the worker
    base = {"run_id": run.pk, "attempt": 1, "fence": Run.objects.get(pk=run.pk).fence,
            "worker": "fake", "node": "worker@fake"}
    finished = {**base, "kind": "finished", "status": "failed", "exit_code": 7, "stdout": "out"}
    started = {**base, "kind": "started"}
    queue = platform.mq.status_queue
    for event in (finished, started, finished, started, {"kind": "garbage"}):
        current_app.send_task("control.run_event", args=[event], queue=queue)

    run = platform.wait_run(run.pk, "failed")
    assert (run.exit_code, run.stdout, run.attempt) == (7, "out", 1)
    assert list(run.attempts.values_list("status", flat=True)) == ["failed"]
    # The duplicates sent after the first `finished` must not move the run back. Control handles
    # events on several threads, so the order they are applied in is not the order sent: check
    # once a sentinel sent after them all is applied and the last of them (garbage) is rejected.
    sentinel = dispatch.create_run(task, Run.Trigger.API)
    s_fence = Run.objects.get(pk=sentinel.pk).fence
    current_app.send_task("control.run_event", args=[{**base, "run_id": sentinel.pk, "fence": s_fence, "kind": "finished",
                                                      "status": "succeeded"}], queue=queue)
    platform.wait_run(sentinel.pk, "succeeded")
    wait_for(lambda: "rejected a run event: unknown event kind 'garbage'" in platform.log("control"), 30,
             "the garbage event to be rejected")
    assert Run.objects.get(pk=run.pk).status == "failed"
    assert list(Run.objects.get(pk=run.pk).attempts.values_list("status", flat=True)) == ["failed"]
