"""Issue 14 item 1: kill -9 of a worker node's process group in the middle of a run. The run
is concluded lost and retried on another node, and the first node's command must die with its
node (guarantee 8): never two executions of one run alive at once."""

import pytest

from tasks_app.models import Run
from tasks_app.services import definitions
from tests.faults import harness
from tests.faults.harness import shell_task, wait_worker
from tests.support.processes import wait_for

pytestmark = pytest.mark.faults
COMMAND_DIES_WITHIN = 5.0  # "within seconds"


def test_a_killed_nodes_command_dies_with_it(fault_platform, command_log):
    platform, v = fault_platform, harness.Violations()
    platform.start("control")
    platform.start("dispatcher")
    doomed = platform.start("worker", "--worker-id", "doomed", "--concurrency", "1", name="doomed")
    wait_worker("doomed")
    # Attempt 1 would run 25 s; later attempts end at once.
    task = shell_task(command_log, 'if [ "$TP_ATTEMPT" = 1 ]; then sleep 25; fi')
    run = definitions.trigger(task)
    wait_for(lambda: command_log.starts(run.pk), 60, "attempt 1's command to start")
    platform.start("worker", "--worker-id", "survivor", "--concurrency", "1", name="survivor")
    wait_worker("survivor")

    harness.kill_role(doomed)
    still = harness.wait_until(lambda: not command_log.alive(run.pk), COMMAND_DIES_WITHIN)
    v.check(still, lambda: f"the killed node's command still runs {COMMAND_DIES_WITHIN:.0f}s after the kill: "
                           f"{command_log.alive(run.pk)}")

    bound = harness.final_bound(platform.config)
    found = harness.wait_final([run.pk], bound)
    v.check(not harness.not_final(found), f"run not final within {bound:.0f}s of the kill: {found}")
    run = Run.objects.get(pk=run.pk)
    v.check(run.status == "succeeded" and run.worker == "survivor",
            f"run ended {run.status} on {run.worker!r} (expected succeeded on the survivor)")
    v.check(not command_log.executed_twice(), lambda: f"(run, attempt) executed twice: {command_log.executed_twice()}")
    v.check(not command_log.overlapping(run.pk),
            lambda: f"two executions of run {run.pk} alive at once: {command_log.overlapping(run.pk)}")
    v.assert_none(f"attempts: {harness.attempts(run.pk)}\ncommand log:\n{command_log.text()}")
