"""Issue 14 item 5: an execution whose command kills its own worker process (the prefork pool
child) is redelivered by `reject_on_worker_lost`. It must end dead-lettered (`dead`, with the
reason and its history) after a bounded number of deliveries, and a cancel of such a run must
take effect (guarantee 7)."""

import time

import pytest

from tasks_app.models import Run
from tasks_app.services import cancelling, definitions
from tests.faults import harness
from tests.faults.harness import shell_task, wait_worker
from tests.support.processes import wait_for

pytestmark = pytest.mark.faults
# The fix picks the limit; more deliveries than this is "not bounded" for the test.
MAX_DELIVERIES = 5
POISON_WINDOW = 60.0


def test_poison_ends_dead_lettered_after_bounded_deliveries(fault_platform, command_log):
    platform, v = fault_platform, harness.Violations()
    platform.start("control")
    platform.start("dispatcher")
    platform.start("worker", "--worker-id", "w", "--concurrency", "2", name="w")
    wait_worker("w")
    poison = shell_task(command_log, "kill -9 $PPID; sleep 1", max_retries=1)
    left_alone = definitions.trigger(poison)
    cancelled = definitions.trigger(poison)
    wait_for(lambda: len(command_log.starts(cancelled.pk)) >= 2, 60, "the second delivery of the run to cancel")
    cancelling.request_cancel(cancelled.pk, by="fault-test")
    cancel_at = time.time()

    found = harness.wait_final([left_alone.pk, cancelled.pk], POISON_WINDOW)
    time.sleep(3)  # any delivery still in flight starts now
    deliveries = len(command_log.starts(left_alone.pk))
    v.check(not harness.not_final(found), f"not final within {POISON_WINDOW:.0f}s: {found}")
    v.check(deliveries <= MAX_DELIVERIES, f"the poison's command started {deliveries} times in {POISON_WINDOW:.0f}s")
    run = Run.objects.get(pk=left_alone.pk)
    v.check(run.status == "dead", f"the poison run is {run.status}, not dead(-lettered)")
    v.check(run.status != "dead" or run.error, "dead without a reason")
    v.check(found.get(cancelled.pk) == "cancelled", f"the cancelled poison run is {found.get(cancelled.pk)}")
    late = [e for e in command_log.starts(cancelled.pk) if e.at > cancel_at + 3]
    v.check(not late, f"the cancelled run's command started {len(late)} more times after the cancel")
    v.assert_none(f"poison: {run.status}, attempts {harness.attempts(run.pk)}; starts per (run, attempt): "
                  f"{dict(command_log.executions())}")
