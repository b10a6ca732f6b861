"""Runs queued while no worker consumes, then the broker loses their messages: a Redis broker
restarted without its data (no persistence, a new host), or a queue purged by hand on RabbitMQ.
The publishes were acknowledged, so before rule 3 of the registry's sweep (workers_app.services
.liveness.resend_lost_messages) nothing would send them again and they stayed `queued` for ever.
Now each is published again and, once a worker consumes, runs exactly once, within the bound
(worker_timeout_seconds for the run to count as waiting, plus the sweeps)."""

import shutil

import pytest

from tasks_app.services import definitions
from tests.faults import harness
from tests.faults.harness import shell_task, wait_worker
from tests.support.processes import wait_for
from workers_app.services.queues import queue_depths

pytestmark = pytest.mark.faults
RUNS = 3


def _lose_the_messages(broker, queue: str) -> None:
    if broker.kind == "redis":
        broker.stop()
        shutil.rmtree(broker.dir)  # its append-only file: the server comes back empty
        broker.dir.mkdir()
        broker.start()
    else:
        broker.ctl("purge_queue", queue)


@pytest.mark.parametrize("broker", ["redis", "rabbitmq"], indirect=True)
def test_runs_whose_messages_the_broker_lost_still_run_once(fault_platform, command_log):
    platform, v = fault_platform, harness.Violations()
    platform.start("control")
    platform.start("dispatcher")
    task = shell_task(command_log, "true")
    runs = [definitions.trigger(task) for _ in range(RUNS)]
    for run in runs:
        platform.wait_run(run.pk, "queued")
    queue = runs[0].queue
    wait_for(lambda: queue_depths([queue]).get(queue) == RUNS, 30, "the messages to be in their queue")

    _lose_the_messages(platform.broker, queue)
    v.check(not queue_depths([queue]).get(queue), f"the queue still holds {queue_depths([queue])}")

    platform.start("worker", "--worker-id", "w", "--concurrency", "2", name="w")
    wait_worker("w")
    found = harness.wait_final([run.pk for run in runs], harness.final_bound(platform.config) + 30)
    v.check(set(found.values()) == {"succeeded"}, f"runs after the loss: {found}")
    twice = command_log.executed_twice()
    v.check(not twice, f"(run, attempt) executed twice: {twice}")
    v.check(len(command_log.starts()) == RUNS, f"{len(command_log.starts())} starts for {RUNS} runs")
    v.check("published again" in platform.logs(), "the control role did not say it published them again")
    v.assert_none()
