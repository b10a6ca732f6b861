"""Issue 14 item 7: runs triggered while the broker is away stay unpublished in the outbox; when
it is back, the sweeps publish them. Two sweeps at once (two control processes or instances, or
one control whose queued sweeps run side by side) must not both publish an entry: no (run,
attempt) may execute twice. The test process sweeps too, from two threads, as a second
instance's control would."""

import threading
import time

import pytest
from django.db import connection

from tasks_app.models import OutboxEntry
from tasks_app.services import definitions, dispatch
from tests.faults import harness
from tests.faults.harness import shell_task, wait_worker

pytestmark = pytest.mark.faults
RUNS = 12


def test_no_double_publish_after_a_broker_outage(fault_platform, command_log):
    platform, v = fault_platform, harness.Violations()
    platform.start("control")
    platform.start("dispatcher")
    platform.start("worker", "--worker-id", "w", "--concurrency", "2", name="w")
    wait_worker("w")
    task = shell_task(command_log, "sleep 0.5")

    platform.broker.stop()
    runs = [definitions.trigger(task).pk for _ in range(RUNS)]
    unpublished = OutboxEntry.objects.filter(run_id__in=runs, published_at__isnull=True).count()
    platform.broker.start()

    barrier = threading.Barrier(2)

    def sweep():
        try:
            barrier.wait(10)
            dispatch.republish_stale(older_than_seconds=0)
        finally:
            connection.close()

    sweepers = [threading.Thread(target=sweep) for _ in range(2)]
    for t in sweepers:
        t.start()
    for t in sweepers:
        t.join(60)

    bound = harness.final_bound(platform.config) + RUNS  # the runs queue behind two slots
    found = harness.wait_final(runs, bound)
    time.sleep(2)  # a second copy still queued starts now
    v.check(unpublished == RUNS, f"only {unpublished} of {RUNS} runs were left unpublished by the outage")
    v.check(not harness.not_final(found), f"not final within {bound:.0f}s of the broker's return: "
                                          f"{harness.not_final(found)}")
    v.check(all(s == "succeeded" for s in found.values()), f"final states: {found}")
    v.check(not command_log.executed_twice(runs), lambda: f"(run, attempt) executed twice: "
                                                          f"{command_log.executed_twice(runs)}")
    v.assert_none()
