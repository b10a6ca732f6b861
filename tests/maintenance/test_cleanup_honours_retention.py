"""cleanup --older-than: final runs past the age go; a task's retention_days replaces the
age for its own runs (longer or shorter); active runs stay whatever their age."""

from tasks_app.models import Run, RunAttempt
from tests.maintenance.helpers import remaining, run_command


def test_global_age_and_per_task_retention(make_task, make_runs):
    default = make_task("default")
    keep_long, keep_short = make_task("long", retention_days=90), make_task("short", retention_days=2)
    for t in (default, keep_long, keep_short):
        make_runs(t, "succeeded", 40, n=3)
        make_runs(t, "succeeded", 10, n=2)
        make_runs(t, "cancelled", 5)
        make_runs(t, "running", 100)  # active: never deleted
        make_runs(t, "retrying", 100)

    out = run_command("cleanup", "--older-than", "30d")

    assert remaining(default) == {"succeeded": 2, "cancelled": 1, "running": 1, "retrying": 1}
    assert remaining(keep_long) == {"succeeded": 5, "cancelled": 1, "running": 1, "retrying": 1}
    assert remaining(keep_short) == {"running": 1, "retrying": 1}
    assert "deleted 9 run(s)" in out  # 3 of default, 6 of short
    # Their attempts went with them; nothing points at a deleted run.
    assert RunAttempt.objects.count() == Run.objects.count()


def test_hours_and_minutes_work_too(make_task, make_runs):
    t = make_task()
    make_runs(t, "succeeded", 0.6)  # 14.4 h old
    make_runs(t, "succeeded", 0.01)  # 14 min old
    run_command("cleanup", "--older-than", "12h")
    assert remaining(t) == {"succeeded": 1}
    run_command("cleanup", "--older-than", "10m")
    assert remaining(t) == {}
