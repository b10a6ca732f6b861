import pytest
from django.core.management import call_command

from workers_app import services
from workers_app.models import Worker


def test_drain_stops_consuming_and_reports_when_the_last_run_ends(beat, orders, django_capture_on_commit_callbacks):
    beat(running=["run-1-a1-x"])
    with django_capture_on_commit_callbacks(execute=True):
        worker = services.drain("w1", by="ops", deadline_seconds=600)
    assert (worker.status, worker.drain_state, worker.drain_requested_by) == ("draining", "draining", "ops")
    assert orders == [("cancel", "tasks.shell", ["worker@w1"])]

    beat(running=[], consuming=[])
    worker.refresh_from_db()
    assert worker.drain_state == "drained" and worker.drained_at is not None


def test_a_draining_node_that_consumes_again_is_told_again(beat, orders):
    beat()
    services.drain("w1")
    orders.clear()
    beat(consuming=["tasks.shell"])  # restarted, consuming everything again
    assert orders == [("cancel", "tasks.shell", ["worker@w1"])]
    assert Worker.objects.get(worker_id="w1").status == "draining"  # a restart does not end a drain


def test_resume_makes_it_consume_again(beat, orders, django_capture_on_commit_callbacks):
    beat()
    services.drain("w1")
    with django_capture_on_commit_callbacks(execute=True):
        worker = services.resume("w1", by="ops")
    assert worker.status == "online" and worker.drain_state == ""
    assert ("add", "tasks.shell", ["worker@w1"]) in orders


def test_past_the_deadline_with_runs_left_the_drain_is_overdue(beat, orders):
    beat(running=["run-1-a1-x"])
    services.drain("w1", deadline_seconds=1)
    Worker.objects.update(drain_deadline="2000-01-01T00:00:00Z")
    assert Worker.objects.get().drain_state == "overdue"


def test_an_unknown_worker_is_named(db):
    with pytest.raises(services.UnknownWorker, match="'ghost' is not registered"):
        services.drain("ghost")


def test_the_cli_drains_resumes_and_prints_the_registry(beat, orders, capsys):
    beat("node-a", tags=["gpu"], task_types=["shell"])
    call_command("workers", "drain", "node-a", "--deadline", "60")
    beat("node-a", tags=["gpu"], task_types=["shell"], consuming=[])  # the node obeyed, nothing runs
    call_command("workers", "status")
    out = capsys.readouterr().out
    assert "node-a: draining" in out
    assert "WORKER" in out and "draining (drained)" in out and "gpu" in out
    call_command("workers", "resume", "node-a")
    assert Worker.objects.get().status == "online"
