import pytest

from tasks_app.models import Run, Task
from tests.support.processes import wait_for

pytestmark = pytest.mark.e2e


def test_forbid_never_has_two_runs_running_at_once(platform):
    platform.start("control")
    platform.start("dispatcher")
    platform.start("worker", name="w1")
    platform.start("worker", "--worker-id", "w2", name="w2")
    task = Task.objects.create(
        name="slow", type="shell", spec={"command": "sleep 3"}, schedule={"interval_seconds": 1},
        overlap_policy="forbid",
    )
    wait_for(lambda: Run.objects.filter(task=task, status="succeeded").count() >= 3, 60, "three finished runs")

    ran = list(Run.objects.filter(task=task, started_at__isnull=False).order_by("started_at"))
    for earlier, later in zip(ran, ran[1:]):
        assert earlier.finished_at is not None and earlier.finished_at <= later.started_at, (earlier, later)
    skipped = Run.objects.filter(task=task, status="skipped")
    assert skipped.exists()
    assert all("overlap policy forbid" in r.error for r in skipped)
