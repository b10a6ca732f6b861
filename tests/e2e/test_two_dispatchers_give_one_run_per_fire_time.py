import time
from collections import Counter

import pytest

from tasks_app.models import Run, Task
from tests.support.processes import wait_for

pytestmark = pytest.mark.e2e


def test_two_beats_firing_the_same_schedule_give_one_run_per_fire_time(platform):
    platform.start("control")
    platform.start("dispatcher", name="beat-1")
    platform.start("dispatcher", name="beat-2")
    platform.start("worker")
    task = Task.objects.create(name="every-1s", type="shell", spec={"command": "true"}, schedule={"interval_seconds": 1})

    for beat in ("beat-1", "beat-2"):  # both running, so that both could fire the same times
        wait_for(lambda b=beat: "beat: Starting" in platform.log(b), 60, f"{beat} to start")
    wait_for(lambda: Run.objects.filter(task=task).count() >= 8, 40, "eight fires")
    time.sleep(2)  # let both beats fire a few more times over the same times
    times = Counter(Run.objects.filter(task=task, trigger="schedule").values_list("scheduled_for", flat=True))
    assert times and max(times.values()) == 1
