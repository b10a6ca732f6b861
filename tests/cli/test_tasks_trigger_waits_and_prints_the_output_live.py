"""`tasks trigger NAME --param k=v --wait` against a live platform: the run gets the parameter,
the command waits until the run is final, prints its output line by line as it comes (live,
from the first line: the stream is open before the run exists, so nothing comes from the record
afterwards) and exits 0; a failing run makes it exit 1."""

import pytest

from tasks_app.models import Run, Task
from tests.support.cli import manage

pytestmark = pytest.mark.e2e


def test_trigger_wait_prints_every_line_live_and_exits_with_the_outcome(platform):
    platform.start("control")
    platform.start("worker", "--worker-id", "cli-node")
    Task.objects.create(name="greet", type="shell",
                        spec={"command": 'for i in 1 2 3; do echo "line-$i"; sleep 0.3; done; echo "colour=$TP_PARAM_COLOUR"'})
    Task.objects.create(name="broken", type="shell", spec={"command": "echo about to fail; exit 3"}, max_retries=0)

    result = manage(platform, "tasks", "trigger", "greet", "--param", "colour=red", "--wait", "--timeout", "90")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == ["line-1", "line-2", "line-3", "colour=red"]
    assert "before following began" not in result.stderr, "every line should have come live"
    assert "succeeded" in result.stderr
    run = Run.objects.get(task__name="greet")
    assert run.status == "succeeded" and run.params == {"colour": "red"} and run.triggered_by.startswith("cli")

    failed = manage(platform, "tasks", "trigger", "broken", "--wait", "--timeout", "90")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert failed.stdout.splitlines() == ["about to fail"] and "failed, exit 3" in failed.stderr
