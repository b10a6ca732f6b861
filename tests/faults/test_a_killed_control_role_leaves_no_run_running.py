"""Issue 14 item 3: kill -9 of the control role while it holds a run's `finished` event. The
event is taken by the killed consumer; the run must still be final within the bound (a running
run is reconciled against what its live node reports it runs), not `running` until the Redis
broker's visibility timeout (6 h) brings the event back.

To have the event taken and not yet applied when the control dies, the test holds the run's row
lock (SELECT ... FOR UPDATE) from its own connection: the control's handler waits on it, its
message unacknowledged, and is killed there."""

import time

import pytest
from django.db import transaction

from tasks_app.models import Run
from tasks_app.services import definitions
from tests.faults import harness
from tests.faults.harness import shell_task, wait_worker
from tests.support.processes import wait_for

pytestmark = pytest.mark.faults


def taken_by_control(platform) -> bool:
    """Nothing left in the status queue: the event is in the control's hands, unacknowledged."""
    mq = platform.config.settings.message_queue
    if platform.broker.kind == "redis":
        import redis

        return redis.Redis.from_url(platform.broker.url(1)).llen(mq.status_queue) == 0
    listing = platform.broker.ctl("-q", "list_queues", "name", "messages_ready").stdout
    return any(line.split() == [mq.status_queue, "0"] for line in listing.splitlines())


@pytest.mark.parametrize("broker", ["redis", "rabbitmq"], indirect=True)
def test_a_killed_control_role_leaves_no_run_running(fault_platform, command_log):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("holds a row lock: needs PostgreSQL")
    platform, v = fault_platform, harness.Violations()
    control = platform.start("control")
    platform.start("dispatcher")
    platform.start("worker", "--worker-id", "w", "--concurrency", "1", name="w")
    wait_worker("w")
    task = shell_task(command_log, "sleep 3")
    run = definitions.trigger(task)
    platform.wait_run(run.pk, "running")

    with transaction.atomic():
        Run.objects.select_for_update().get(pk=run.pk)
        wait_for(lambda: command_log.ends(run.pk), 30, "the command to end")
        time.sleep(1)  # the `finished` event is published
        wait_for(lambda: taken_by_control(platform), 30, "the control to take the `finished` event")
        harness.kill_role(control)
    platform.start("control", name="control-2")

    bound = harness.final_bound(platform.config)
    found = harness.wait_final([run.pk], bound)
    v.check(not harness.not_final(found), f"run not final within {bound:.0f}s of the control's death: {found}")
    v.check(found.get(run.pk) == "succeeded", f"run is {found.get(run.pk)}, its command succeeded")
    v.check(not command_log.executed_twice(), lambda: f"(run, attempt) executed twice: {command_log.executed_twice()}")
    v.assert_none(f"attempts: {harness.attempts(run.pk)}\ncommand log:\n{command_log.text()}")
