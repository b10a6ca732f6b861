"""Draining a worker during a long run: the run finishes there, nothing new starts there,
new runs go to the other worker; resume makes it take work again."""

import pytest

from tasks_app.models import Task
from tasks_app.services import definitions
from tests.support.processes import wait_for
from workers_app import services
from workers_app.models import Worker

pytestmark = pytest.mark.e2e


def test_drain_lets_the_run_finish_and_sends_new_work_elsewhere(platform):
    platform.start("control")
    platform.start("dispatcher")  # its sweep writes the heartbeats to the registry
    platform.start("worker", "--worker-id", "old", name="old")
    wait_for(lambda: Worker.objects.filter(worker_id="old").exists(), 30, "the first worker's heartbeat")
    long = Task.objects.create(name="long", type="shell", spec={"command": "sleep 4; echo finished"})
    quick = Task.objects.create(name="quick", type="shell", spec={"command": "true"})
    run = definitions.trigger(long)
    platform.wait_run(run.pk, "running")

    services.drain("old", by="test", deadline_seconds=60)
    platform.start("worker", "--worker-id", "new", name="new")
    wait_for(lambda: Worker.objects.filter(worker_id="new").exists(), 30, "the second worker's heartbeat")
    # The drain's cancel_consumer is a broadcast: wait until old reports it consumes nothing.
    wait_for(lambda: Worker.objects.get(worker_id="old").consuming == [], 30, "the old worker to stop consuming")
    quick_runs = [definitions.trigger(quick) for _ in range(4)]
    assert {platform.wait_run(r.pk, "succeeded").worker for r in quick_runs} == {"new"}

    finished = platform.wait_run(run.pk, "succeeded", timeout=30)
    assert finished.worker == "old" and finished.stdout == "finished\n"
    wait_for(lambda: Worker.objects.get(worker_id="old").drain_state == "drained", 20, "the drain to be reported done")

    services.resume("old", by="test")
    platform.stop_process("new")
    again = definitions.trigger(quick)
    assert platform.wait_run(again.pk, "succeeded", timeout=30).worker == "old"
