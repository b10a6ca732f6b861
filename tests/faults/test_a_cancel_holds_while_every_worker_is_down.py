"""Issue 14 item 4: a queued run cancelled while no worker runs. It reads `cancelled`, and when
a worker comes back its command must never start (guarantee 6): revoking in workers' memory
does not reach a worker that was not running."""

import pytest

from tasks_app.models import Run
from tasks_app.services import cancelling, definitions
from tests.faults import harness
from tests.faults.harness import shell_task, wait_worker

pytestmark = pytest.mark.faults


def test_a_cancel_holds_while_every_worker_is_down(fault_platform, command_log):
    platform, v = fault_platform, harness.Violations()
    platform.start("control")
    platform.start("dispatcher")
    task = shell_task(command_log, "sleep 2")
    doomed = definitions.trigger(task)
    platform.wait_run(doomed.pk, "queued")
    cancelling.request_cancel(doomed.pk, by="fault-test")
    # A run queued after it, on the same queue: once the worker has run it, it has taken the
    # cancelled run's message first (one slot, one message at a time, FIFO).
    sentinel = definitions.trigger(task)
    platform.wait_run(sentinel.pk, "queued")

    platform.start("worker", "--worker-id", "back", "--concurrency", "1", name="back")
    wait_worker("back")
    bound = harness.final_bound(platform.config)
    found = harness.wait_final([sentinel.pk], bound + 10)
    v.check(found.get(sentinel.pk) == "succeeded", f"the sentinel run is {found.get(sentinel.pk)}")
    v.check(not command_log.starts(doomed.pk),
            lambda: f"the cancelled run's command started: {command_log.starts(doomed.pk)}")
    v.check(Run.objects.get(pk=doomed.pk).status == "cancelled", "the cancelled run no longer reads cancelled")
    v.check(not command_log.executed_twice(), lambda: f"(run, attempt) executed twice: {command_log.executed_twice()}")
    v.assert_none(f"command log:\n{command_log.text()}")
