"""--keep-failed-days: failed, dead, timed_out and lost runs stay at least that long, even
past --older-than or a task's retention; the others follow the normal age."""

from tests.maintenance.helpers import remaining, run_command


def test_failures_are_kept_for_their_own_days(make_task, make_runs):
    t, short = make_task(), make_task("short", retention_days=1)
    for status in ("failed", "dead", "timed_out", "lost", "succeeded", "skipped"):
        make_runs(t, status, 40)
        make_runs(t, status, 100)
        make_runs(short, status, 5)

    out = run_command("cleanup", "--older-than", "30d", "--keep-failed-days", "60")

    assert remaining(t) == {"failed": 1, "dead": 1, "timed_out": 1, "lost": 1}  # the 40-day-old failures
    assert remaining(short) == {"failed": 1, "dead": 1, "timed_out": 1, "lost": 1}
    assert "failed ones kept 60d" in out


def test_without_the_option_failures_age_like_the_rest(make_task, make_runs):
    t = make_task()
    make_runs(t, "dead", 40)
    run_command("cleanup", "--older-than", "30d")
    assert remaining(t) == {}
