from django.core.management import call_command


def test_tasks_list_prints_a_table(make_task, capsys):
    make_task(name="backup", schedule={"cron": "0 2 * * *", "timezone": "Europe/Berlin"}, overlap_policy="forbid")
    call_command("tasks", "list")
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == [
        "ID", "NAME", "TYPE", "SCHEDULE", "ENABLED", "OVERLAP", "MISFIRE", "NEXT", "FIRE", "(UTC)"]
    assert "backup" in out and "cron=0 2 * * *" in out and "forbid" in out
