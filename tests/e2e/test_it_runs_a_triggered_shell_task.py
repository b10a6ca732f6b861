import pytest

from tasks_app.models import Run, Task
from tasks_app.services import definitions
from tests.support.processes import wait_for

pytestmark = pytest.mark.e2e


def test_a_triggered_shell_task_runs_on_a_worker_and_is_recorded(platform):
    platform.start("control")
    platform.start("worker", "--worker-id", "w1")
    task = Task.objects.create(name="hello", type="shell", spec={"command": 'echo "hi $TP_PARAM_WHO"; exit 3'}, max_retries=0)

    run = definitions.trigger(task, params={"who": "ops"})
    run = platform.wait_run(run.pk, {"failed", "succeeded"})

    assert run.status == "failed"
    assert run.exit_code == 3
    assert run.stdout == "hi ops\n"
    assert run.worker == "w1"
    assert run.attempt == 1
    # `started` may be applied after `finished` (control handles events concurrently): wait for it.
    run = wait_for(lambda: Run.objects.filter(pk=run.pk, started_at__isnull=False).first(), 30, "started_at")
    assert run.started_at <= run.finished_at
    assert list(run.attempts.values_list("attempt", "status")) == [(1, "failed")]
