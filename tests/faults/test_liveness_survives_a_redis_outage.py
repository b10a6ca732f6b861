"""Issue 14 item 8: the state store (Redis, not the broker) goes away for longer than
worker_timeout_seconds while a worker runs a command. Heartbeats still arrive over the broker:
the live worker must not become `lost`, its run must not be concluded lost and retried, and
the command must run once. (The worker pauses for one heartbeat interval as Redis returns,
which alone, at a tenth of worker_timeout_seconds, must not make it lost either.)"""

import time

import pytest

from tasks_app.models import Run
from tasks_app.services import definitions
from tests.faults import harness
from tests.faults.harness import shell_task, wait_worker
from workers_app.models import Worker

pytestmark = pytest.mark.faults


def test_liveness_survives_a_redis_outage(fault_platform, command_log):
    platform, v = fault_platform, harness.Violations()
    platform.start("control")
    platform.start("dispatcher")
    platform.start("worker", "--worker-id", "w", "--concurrency", "1", name="w")
    wait_worker("w")
    outage = platform.config.settings.dispatcher.worker_timeout_seconds + 5
    task = shell_task(command_log, f"sleep {outage + 8:.0f}")
    run = definitions.trigger(task)
    platform.wait_run(run.pk, "running")

    seen = set()

    def sample(until):
        while not until():
            seen.add(Worker.objects.get(worker_id="w").status)
            time.sleep(0.3)

    platform.state_redis.stop()
    deadline = time.monotonic() + outage
    sample(lambda: time.monotonic() >= deadline)
    # Redis comes back while the worker sits out one heartbeat interval (SIGSTOP, far below
    # worker_timeout_seconds): the sweeps that run then find only the registry as the outage
    # left it. Without this pause it is a race between the first sweep and the first heartbeat.
    worker = next(p for name, p in platform.processes if name == "w")
    harness.pause_role(worker)
    try:
        platform.state_redis.start()
        time.sleep(3 * platform.config.settings.dispatcher.sweep_interval_seconds)
    finally:
        harness.resume_role(worker)
    sample(lambda: command_log.ends(run.pk))
    deadline = time.monotonic() + harness.final_bound(platform.config)
    sample(lambda: time.monotonic() >= deadline or not harness.not_final(harness.statuses([run.pk])))
    found = harness.statuses([run.pk])

    v.check("lost" not in seen, f"the live worker was marked lost (statuses seen: {sorted(seen)})")
    v.check(found.get(run.pk) == "succeeded", f"run is {found.get(run.pk)}")
    v.check(Run.objects.get(pk=run.pk).attempt == 1, "the run was retried")
    v.check(len(command_log.starts(run.pk)) == 1, f"the command ran {len(command_log.starts(run.pk))} times")
    v.check(not command_log.overlapping(run.pk), lambda: f"executions at once: {command_log.overlapping(run.pk)}")
    v.assert_none(f"attempts: {harness.attempts(run.pk)}\ncommand log:\n{command_log.text()}")
