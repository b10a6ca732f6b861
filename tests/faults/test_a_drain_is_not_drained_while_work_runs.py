"""Issue 14 item 11: a worker drained just after it started a run must not read `drained` while
that run's command still runs (the runbook restarts a node once it reads drained), and must read
it once the command has ended. The registry's view of the node lags (heartbeat interval plus a
sweep); the test makes the lag certain by freezing the control role around the drain. The
worker takes the run while the control role is frozen: it holds the message, waiting for the
answer to its start claim, and starts the command once the control role answers."""

import time

import pytest

from tasks_app.services import definitions
from tests.faults import harness
from tests.faults.harness import shell_task, wait_worker
from tests.support.processes import wait_for
from workers_app.models import Worker
from workers_app.services import drain

pytestmark = pytest.mark.faults


def test_a_drain_is_not_drained_while_work_runs(fault_platform, command_log):
    platform, v = fault_platform, harness.Violations()
    platform.start("control")
    platform.start("dispatcher")
    platform.start("worker", "--worker-id", "w", "--concurrency", "1", name="w")
    wait_worker("w")
    task = shell_task(command_log, "sleep 6")
    # The control role is frozen while the worker takes the run and the operator drains it (the
    # api role does that): the registry has not seen a heartbeat listing the run yet, as happens
    # for up to a heartbeat interval plus a sweep after any start.
    from scheduler_project.celery import app

    control = next(p for name, p in platform.processes if name == "control")
    node = Worker.objects.get(worker_id="w").node
    harness.pause_role(control)
    try:
        run = definitions.trigger(task)
        run.refresh_from_db()

        def taken():
            active = app.control.inspect(destination=[node], timeout=1).active() or {}
            return any(r.get("id") == run.execution_id for r in active.get(node, []))
        wait_for(taken, 60, "the worker to take the run")
        drain("w", by="fault-test")
    finally:
        harness.resume_role(control)
    wait_for(lambda: command_log.starts(run.pk), 60, "the command to start")

    early = []
    while not command_log.ends(run.pk):
        worker = Worker.objects.get(worker_id="w")
        if worker.drain_state == "drained":
            early.append(round(time.time(), 1))
        time.sleep(0.2)
    v.check(not early, f"the worker read drained while its run's command ran ({len(early)} samples)")
    bound = harness.final_bound(platform.config)
    done = harness.wait_until(lambda: Worker.objects.get(worker_id="w").drain_state == "drained", bound)
    v.check(done, f"not drained {bound:.0f}s after its last command ended")
    wait_for(lambda: harness.statuses([run.pk])[run.pk] == "succeeded", bound, "the run to succeed")
    v.assert_none()
