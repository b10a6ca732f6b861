"""The daily run commands against a live platform (control and worker processes, the command a
process of its own): `runs list` with the API's filters and --json, `runs show`, `runs logs`,
`runs logs --follow` joining a run that already printed (every line once: the live ones in
order as they come, the earlier ones from the record when the run ends, until issue 16 gives
the live stream a backlog), `runs cancel` of a running run, `runs replay --param`."""

import time

import pytest

from tasks_app.models import Run, Task
from tasks_app.services import definitions
from tests.support.cli import json_of, manage, ok, start
from tests.support.processes import reap, wait_for

pytestmark = pytest.mark.e2e


def test_the_run_commands_on_a_live_platform(platform):
    platform.start("control")
    platform.start("worker", "--worker-id", "cli-node")
    # The run waits for a gate the test opens once the follower has joined: a follower slow to
    # start (a loaded machine) still joins a running run, and lines still come after it joined.
    gate = platform.tmp / "gate"
    slow = Task.objects.create(
        name="slow", type="shell",
        spec={"command": f'echo first; while [ ! -e {gate} ]; do sleep 0.1; done; echo "second $TP_PARAM_N"; '
                         'sleep 1; echo third'}, params={"n": "0"})
    sleeper = Task.objects.create(name="sleeper", type="shell", spec={"command": "echo started; sleep 60"})

    # --follow joins a run that has printed its first line already.
    run = definitions.trigger(slow)
    wait_for(lambda: Run.objects.filter(pk=run.pk, status="running").exists(), 60, "the slow run to start")
    follower = start(platform, "runs", "logs", str(run.pk), "--follow", "--timeout", "120")
    try:
        joined = follower.stderr.readline()  # "run N (slow) is running since ...": it follows now
        gate.touch()
        out, err = follower.communicate(timeout=120)
        err = joined + err
    finally:
        gate.touch()
        reap(follower)
    assert follower.returncode == 0, out + err
    record, lines = ["first", "second 0", "third"], out.splitlines()
    # Every line once: those printed after following began live and in order, then (no backlog
    # in the live stream until issue 16) the earlier ones from the run's record, saying so.
    # How many came before depends on how fast this process started (the follower joins a
    # running run: it says so); tests/cli/test_a_late_follower_* pins each case down.
    missed = next(k for k in range(len(record)) if lines == record[k:] + record[:k])
    assert "is running since" in err and (missed == 0 or "written before following began" in err), err
    assert "succeeded" in err

    # list: the API's filters, by name, status (repeatable), trigger, worker, time; --json is the API's list.
    listed = json_of(manage(platform, "runs", "list", "--task", "slow", "--status", "succeeded", "--status", "failed",
                            "--trigger", "manual", "--worker", "cli-node", "--since", "1h", "--json"))
    assert [r["id"] for r in listed] == [run.pk] and listed[0]["status"] == "succeeded" and "stdout" not in listed[0]
    assert json_of(manage(platform, "runs", "list", "--task", "slow", "--status", "failed", "--json")) == []
    table = ok(manage(platform, "runs", "list", "--limit", "5"))
    assert table.splitlines()[0].split()[:3] == ["ID", "TASK", "STATUS"] and "slow" in table
    refused = manage(platform, "runs", "list", "--since", "yesterday")
    assert refused.returncode == 1 and "created_after" in refused.stderr

    # show and logs (not following): the record.
    detail = json_of(manage(platform, "runs", "show", str(run.pk), "--json"))
    assert detail["stdout"] == "first\nsecond 0\nthird\n" and detail["attempts"][0]["worker"] == "cli-node"
    assert "--- stdout ---" in ok(manage(platform, "runs", "show", str(run.pk)))
    assert ok(manage(platform, "runs", "logs", str(run.pk))).splitlines() == ["first", "second 0", "third"]

    # cancel a running run: its process group is killed, the run ends cancelled.
    running = definitions.trigger(sleeper)
    wait_for(lambda: Run.objects.filter(pk=running.pk, status="running").exists(), 60, "the sleeper to start")
    time.sleep(0.5)
    assert "cancel requested" in ok(manage(platform, "runs", "cancel", str(running.pk)))
    cancelled = platform.wait_run(running.pk, "cancelled", timeout=60)
    assert cancelled.cancelled_by.startswith("cli")
    again = manage(platform, "runs", "cancel", str(running.pk))
    assert again.returncode == 1 and "already cancelled" in again.stderr

    # replay the cancelled run with an override; a succeeded run is not replayable.
    replayed = ok(manage(platform, "runs", "replay", str(cancelled.pk), "--param", "extra=1"))
    new = Run.objects.exclude(pk__in=[run.pk, running.pk]).get()
    assert f"replayed as run {new.pk}" in replayed and new.replay_of_id == running.pk and new.params == {"extra": "1"}
    refused = manage(platform, "runs", "replay", str(run.pk))
    assert refused.returncode == 1 and "only dead, failed" in refused.stderr
    ok(manage(platform, "runs", "cancel", str(new.pk)))
    platform.wait_run(new.pk, "cancelled", timeout=60)
