"""cleanup --dry-run counts what would go, by status, and deletes nothing."""

from tasks_app.models import Run
from tests.maintenance.helpers import run_command


def test_dry_run_counts_and_keeps_everything(make_task, make_runs):
    t = make_task()
    make_runs(t, "succeeded", 40, n=4)
    make_runs(t, "failed", 40, n=2)
    make_runs(t, "succeeded", 1)

    out = run_command("cleanup", "--older-than", "30d", "--dry-run")

    assert "dry run: would delete 6 run(s) older than 30d: failed 2, succeeded 4" in out
    assert Run.objects.count() == 7
    assert "would delete 4 run(s)" in run_command("cleanup", "--older-than", "30d", "--keep-failed-days", "90",
                                                  "--dry-run")
