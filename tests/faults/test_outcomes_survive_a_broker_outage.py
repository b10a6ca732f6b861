"""Issue 14 item 6: the broker goes away while commands run and comes back after they finished
(and after worker_timeout_seconds). The outcomes must survive: each run ends as its command
did, no command runs again, and a stop the control ordered never becomes a run's `cancelled`."""

import pytest

from tasks_app.models import Run
from tasks_app.services import definitions
from tests.faults import harness
from tests.faults.harness import shell_task, wait_worker
from tests.support.processes import wait_for

pytestmark = pytest.mark.faults
RUNS = 3


def test_outcomes_survive_a_broker_outage(fault_platform, command_log):
    platform, v = fault_platform, harness.Violations()
    platform.start("control")
    platform.start("dispatcher")
    platform.start("worker", "--worker-id", "w", "--concurrency", str(RUNS), name="w")
    wait_worker("w")
    # A retry delay as real tasks have one: while a run waits in `retrying`, its attempt 1 is still
    # current, so a stopped redelivery of attempt 1 can conclude it.
    task = shell_task(command_log, "sleep 4", max_retries=2, retry_delay_seconds=20)
    runs = [definitions.trigger(task).pk for _ in range(RUNS)]
    wait_for(lambda: all(command_log.starts(pk) for pk in runs), 60, "every command to start")

    platform.broker.stop()
    wait_for(lambda: all(command_log.ends(pk) for pk in runs), 30, "every command to end")
    outage = platform.config.settings.dispatcher.worker_timeout_seconds + 5
    import time

    time.sleep(outage)
    platform.broker.start()

    bound = harness.final_bound(platform.config)
    found = harness.wait_final(runs, bound)
    v.check(not harness.not_final(found), f"not final within {bound:.0f}s of the broker's return: {found}")
    time.sleep(2)  # a retry's command, if any, starts now
    for pk in runs:
        run = Run.objects.get(pk=pk)
        v.check(run.status == "succeeded", f"run {pk} ended {run.status} ({run.error!r}) though its command succeeded")
        v.check(run.status != "cancelled" or run.cancel_requested_at, f"run {pk} reads cancelled; nobody cancelled it")
        v.check(len(command_log.starts(pk)) == 1, f"run {pk}'s command ran {len(command_log.starts(pk))} times")
        v.check(harness.attempts(pk).get(1) == "succeeded", f"run {pk}'s attempt 1 is recorded "
                                                               f"{harness.attempts(pk).get(1)}, its command succeeded")
    v.check(not command_log.executed_twice(), lambda: f"(run, attempt) executed twice: {command_log.executed_twice()}")
    v.assert_none(f"attempts: { {pk: harness.attempts(pk) for pk in runs} }\ncommand log:\n{command_log.text()}")
