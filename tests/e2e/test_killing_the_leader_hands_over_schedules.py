"""Killing the leader: another instance fires the next schedules; no fire time gets two runs;
none is lost beyond the misfire policy (run_all here: every fire time gets its run)."""

import os
import signal

import pytest

from instances_app import presence
from instances_app.lease import current_leader
from tasks_app.models import Run, Task
from tests.support.processes import wait_for

pytestmark = pytest.mark.e2e


def test_a_standby_takes_over_and_the_ledger_has_every_fire_once(platform):
    platform.start("control", instance="a")
    leader = platform.start("dispatcher", instance="a")
    wait_for(lambda: (current_leader() or {}).get("instance_id") == "a", 30, "instance a to lead")
    platform.start("control", instance="b")
    platform.start("dispatcher", instance="b")
    platform.start("worker")
    task = Task.objects.create(
        name="every-1s", type="shell", spec={"command": "true"}, schedule={"interval_seconds": 1},
        misfire_policy="run_all", misfire_grace_seconds=1,
    )
    wait_for(lambda: Run.objects.filter(task=task).count() >= 3, 30, "runs fired by the leader")
    # b's beat must be up (its ticks mark the role) before a dies, or its start-up is timed too.
    wait_for(lambda: "dispatcher" in presence.live_roles("b"), 60, "instance b's standby beat")

    os.killpg(leader.pid, signal.SIGKILL)
    ttl = platform.config.settings.scheduler.phase2.owner_ttl_seconds
    # The lease expires after the TTL; b's next tick takes it (slack for a loaded machine).
    wait_for(lambda: (current_leader() or {}).get("instance_id") == "b", ttl + 15, "instance b to take the lease")
    before = Run.objects.filter(task=task).count()
    wait_for(lambda: Run.objects.filter(task=task).count() >= before + 3, 30, "runs fired by the new leader")

    times = sorted(Run.objects.filter(task=task, trigger="schedule").values_list("scheduled_for", flat=True))
    assert len(times) == len(set(times))  # no fire time twice
    gaps = {(b - a).total_seconds() for a, b in zip(times, times[1:])}
    assert gaps == {1.0}  # and none missing, gap included: run_all fired the missed ones
    assert "is the leader" in platform.log("dispatcher-b")
