"""cleanup works in short batches in id order, reporting each, and takes what depends on a
run with it (attempts, outbox entries) while unlinking replays of it."""

from tasks_app.models import OutboxEntry, Run, RunAttempt
from tests.maintenance.helpers import run_command


def test_batches_with_progress_and_dependents(make_task, make_runs):
    t = make_task()
    old = make_runs(t, "succeeded", 40, n=7)
    young = make_runs(t, "succeeded", 1)[0]
    OutboxEntry.objects.create(run=old[0], name="workers.execute", queue="q", message_id="m", payload={})
    replay = Run.objects.create(task=t, trigger="replay", status="pending", replay_of=old[1])

    out = run_command("cleanup", "--older-than", "30d", "--batch-size", "3", "--pause", "0")

    lines = [line for line in out.splitlines() if line.startswith("batch ")]
    assert [line.split(":")[0] for line in lines] == ["batch 1", "batch 2", "batch 3"]
    assert lines[0].startswith("batch 1: 3 deleted, up to id ") and lines[-1].startswith("batch 3: 7 deleted")
    assert "deleted 7 run(s) in 3 batch(es)" in out
    assert set(Run.objects.values_list("pk", flat=True)) == {young.pk, replay.pk}
    assert RunAttempt.objects.filter(run_id__in=[r.pk for r in old]).count() == 0
    assert OutboxEntry.objects.count() == 0
    replay.refresh_from_db()
    assert replay.replay_of_id is None  # its original is gone; the replay stays


def test_nothing_to_do(make_task, make_runs):
    make_runs(make_task(), "succeeded", 1)
    assert "deleted 0 run(s) in 0 batch(es)" in run_command("cleanup", "--older-than", "30d")
