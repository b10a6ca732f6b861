"""`scheduler-cli --url URL --api-key KEY ...`, run from an empty directory with no database,
broker or configuration, does the daily work over the REST API of a live platform and prints
what the local command prints: tasks (list, show, trigger --param --wait, pause, resume), runs
(list with filters, show, logs --follow, cancel, replay), workers (status, drain, resume), dead
letters (list, replay, purge), instances; unknown names are errors there too."""

import pytest

from accounts_app.services import create_api_key
from tasks_app.models import Run, Task
from tasks_app.services import definitions
from tests.support.cli import json_of, manage, ok, remote
from tests.support.processes import http_get, wait_for
from workers_app.models import Worker

pytestmark = pytest.mark.e2e


def test_the_remote_client_over_a_live_api(platform, tmp_path):
    for mode in ("api", "control", "dispatcher"):
        platform.start(mode)
    platform.start("worker", "--worker-id", "far-node")
    _, key = create_api_key("remote-cli", ["Admin"])
    url = f"http://127.0.0.1:{platform.api_port}"
    wait_for(lambda: http_get(platform.api_port, "/health")[0] == 200, 60, "the api")
    wait_for(lambda: Worker.objects.filter(worker_id="far-node").exists(), 60, "the worker in the registry")
    empty = tmp_path / "elsewhere"
    empty.mkdir()

    def cli(*args):
        return remote(url, key, *args, cwd=empty)

    Task.objects.create(name="hello", type="shell", spec={"command": 'echo "hi $TP_PARAM_WHO"; sleep 0.5; echo bye'})
    Task.objects.create(name="nap", type="shell", spec={"command": "sleep 60"})

    # tasks
    assert ok(cli("tasks", "list")) == ok(manage(platform, "tasks", "list"))
    assert json_of(cli("task", "show", "hello", "--json"))["name"] == "hello"
    waited = cli("tasks", "trigger", "hello", "--param", "who=ops", "--wait", "--timeout", "90")
    assert waited.returncode == 0, waited.stdout + waited.stderr
    assert waited.stdout.splitlines() == ["hi ops", "bye"] and "before following began" not in waited.stderr
    assert ok(cli("tasks", "pause", "hello")).strip() == "task hello: paused (schedule disabled)"
    assert not Task.objects.get(name="hello").enabled
    assert ok(cli("tasks", "resume", "hello")).strip() == "task hello: resumed (schedule enabled)"

    # runs
    run = Run.objects.get(task__name="hello")
    listed = json_of(cli("runs", "list", "--task", "hello", "--status", "succeeded", "--worker", "far-node",
                         "--since", "1h", "--json"))
    assert [r["id"] for r in listed] == [run.pk]
    assert ok(cli("runs", "show", str(run.pk))) == ok(manage(platform, "runs", "show", str(run.pk)))
    assert ok(cli("runs", "logs", str(run.pk), "--follow")).splitlines() == ["hi ops", "bye"]
    napping = definitions.trigger(Task.objects.get(name="nap"))
    wait_for(lambda: Run.objects.filter(pk=napping.pk, status="running").exists(), 60, "the nap to start")
    assert "cancel requested" in ok(cli("runs", "cancel", str(napping.pk)))
    platform.wait_run(napping.pk, "cancelled", timeout=60)
    assert "replayed as run" in ok(cli("runs", "replay", str(napping.pk), "--param", "x=1"))
    replay = Run.objects.get(replay_of_id=napping.pk)
    assert replay.params == {"x": "1"}
    ok(cli("runs", "cancel", str(replay.pk)))

    # workers
    assert "far-node" in ok(cli("worker", "status"))
    assert ok(cli("workers", "drain", "far-node", "--deadline", "30")).startswith("far-node: draining until")
    assert Worker.objects.get(worker_id="far-node").status == "draining"
    assert ok(cli("workers", "resume", "far-node")).strip() == "far-node: online"

    # dead letters and instances
    assert ok(cli("deadletters", "list")).strip() == "no dead letters"
    refused = cli("deadletters", "purge")
    assert refused.returncode == 1 and "say what to purge" in refused.stderr
    assert platform.config.instance_id in ok(cli("instances", "list"))

    # unknown names are errors, over the API too
    for args, message in ((["tasks", "show", "nope"], "unknown task 'nope'"),
                          (["runs", "show", "999999"], "unknown run 999999"),
                          (["runs", "list", "--worker", "nope"], "'nope' is not registered"),
                          (["workers", "drain", "nope"], "'nope' is not registered"),
                          (["dlq", "list", "--instance", "nope"], "unknown instance 'nope'")):
        result = cli(*args)
        assert result.returncode == 1 and message in result.stderr, (args, result.stderr)
    denied = remote(url, "not-a-key", "tasks", "list", cwd=empty)
    assert denied.returncode == 1 and denied.stderr.startswith("error: ")
