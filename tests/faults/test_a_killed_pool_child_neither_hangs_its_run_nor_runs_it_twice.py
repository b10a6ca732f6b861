"""Issue 14 item 2: kill -9 of the prefork pool child that runs an execution, the node's main
process staying up. The command dies with the child, the redelivered message does not start
attempt 1 again, and the run does not stay `running`: it is final within the bound.

Two nodes: `reject_on_worker_lost` requeues the message and either node may take it; its start
claim is answered stop (attempt 1 already started), so it never starts; the run is concluded
lost (its node no longer lists it) and attempt 2 runs."""

import psutil
import pytest

from tasks_app.models import Run
from tasks_app.services import definitions
from tests.faults import harness
from tests.faults.harness import shell_task, wait_worker
from tests.support.processes import wait_for

pytestmark = pytest.mark.faults


def test_a_killed_pool_child_neither_hangs_its_run_nor_runs_it_twice(fault_platform, command_log):
    platform, v = fault_platform, harness.Violations()
    platform.start("control")
    platform.start("dispatcher")
    workers = {w: platform.start("worker", "--worker-id", w, "--concurrency", "1", name=w) for w in ("a", "b")}
    wait_worker("a")
    wait_worker("b")
    task = shell_task(command_log, 'if [ "$TP_ATTEMPT" = 1 ]; then sleep 15; fi')
    run = definitions.trigger(task)
    first = wait_for(lambda: command_log.starts(run.pk), 60, "attempt 1's command to start")[0]
    worker = workers[Run.objects.get(pk=run.pk).worker or platform.wait_run(run.pk, "running").worker]
    child = psutil.Process(first.pid).parent()
    assert child.pid in [p.pid for p in harness.pool_children(worker)], "the command's parent is a pool child"

    child.kill()
    harness.wait_until(lambda: not command_log.alive(run.pk) or len(command_log.starts(run.pk)) > 1, 5)
    v.check(first not in command_log.alive(run.pk), "the killed pool child's command still runs 5s later")

    bound = harness.final_bound(platform.config)
    found = harness.wait_final([run.pk], bound)
    v.check(not harness.not_final(found), f"run not final within {bound:.0f}s of the kill: {found}")
    v.check(not command_log.executed_twice(),
                      lambda: f"(run, attempt) executed twice: {command_log.executed_twice()}")
    v.check(not command_log.overlapping(run.pk),
                      lambda: f"two executions of run {run.pk} alive at once: {command_log.overlapping(run.pk)}")
    run = Run.objects.get(pk=run.pk)
    v.check(run.status == "succeeded", f"run ended {run.status} (expected succeeded after a retry)")
    v.check(worker.poll() is None, "the node's main process died too")
    v.assert_none(f"run: {run.status} attempt {run.attempt}; attempts: {harness.attempts(run.pk)}\n"
                  f"command log:\n{command_log.text()}")
