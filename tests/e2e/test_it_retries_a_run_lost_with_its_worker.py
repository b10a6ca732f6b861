"""kill -9 of the worker in the middle of a `sleep 30` run: the run becomes lost, is retried,
and ends succeeded on another worker, with exactly one terminal state."""

import os
import signal

import pytest

from tasks_app.models import Run, RunAttempt, Task
from tasks_app.services import definitions
from tests.support.processes import wait_for
from workers_app.models import Worker

pytestmark = pytest.mark.e2e


def test_a_run_lost_with_its_worker_is_retried_elsewhere(platform):
    platform.start("control")
    platform.start("dispatcher")
    doomed = platform.start("worker", "--worker-id", "doomed", name="doomed")
    # The first attempt sleeps 30 s; the retry returns at once.
    task = Task.objects.create(
        name="long", type="shell", max_retries=2, retry_delay_seconds=0, retry_jitter=False,
        spec={"command": 'if [ "$TP_ATTEMPT" = 1 ]; then sleep 30; fi; echo "done on attempt $TP_ATTEMPT"'},
    )
    run = definitions.trigger(task)
    platform.wait_run(run.pk, "running")
    assert Run.objects.get(pk=run.pk).worker == "doomed"
    wait_for(lambda: Worker.objects.filter(worker_id="doomed").exists(), 30, "the doomed worker's heartbeat")

    platform.start("worker", "--worker-id", "survivor", name="survivor")
    os.killpg(doomed.pid, signal.SIGKILL)
    # Lost within worker_timeout_seconds plus one sweep, with slack for a loaded machine (sweeps
    # that wait too long in the queue expire, and the next one does the work).
    dispatcher = platform.config.settings.dispatcher
    wait_for(
        lambda: Worker.objects.filter(worker_id="doomed", status="lost").exists(),
        dispatcher.worker_timeout_seconds + dispatcher.sweep_interval_seconds + 20, "the killed worker to be lost",
    )

    run = platform.wait_run(run.pk, {"succeeded", "failed", "dead", "lost", "cancelled"}, timeout=60)
    assert run.status == "succeeded"
    assert run.worker == "survivor"
    assert run.attempt == 2
    assert run.stdout == "done on attempt 2\n"
    attempts = dict(RunAttempt.objects.filter(run=run).values_list("attempt", "status"))
    assert attempts == {1: "lost", 2: "succeeded"}
    assert Run.objects.filter(task=task).count() == 1
    wait_for(lambda: not Run.objects.exclude(status="succeeded").filter(task=task).exists(), 5, "one terminal state")
