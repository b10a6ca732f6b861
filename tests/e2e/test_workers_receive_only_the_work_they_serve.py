"""Two workers with different types and tags each receive only the work they serve; work
nobody serves says so."""

import pytest

from tasks_app.models import Run, Task
from tasks_app.services import definitions
from tests.support.processes import wait_for
from workers_app.models import Worker

pytestmark = pytest.mark.e2e


def test_routing_by_type_and_tag(platform):
    platform.start("control")
    platform.start("dispatcher")
    platform.start("worker", "--worker-id", "gpu-shell", "--task-types", "shell", "--tags", "gpu", name="gpu-shell")
    platform.start("worker", "--worker-id", "http-only", "--task-types", "http", name="http-only")
    wait_for(lambda: Worker.objects.filter(status="online").count() == 2, 30, "both workers' heartbeats")
    assert Worker.objects.get(worker_id="gpu-shell").tags == ["gpu"]
    assert Worker.objects.get(worker_id="http-only").task_types == ["http"]

    plain = Task.objects.create(name="plain", type="shell", spec={"command": "true"})
    gpu = Task.objects.create(name="gpu", type="shell", spec={"command": "true"}, tags=["gpu"])
    http = Task.objects.create(name="http", type="http", spec={"url": f"http://127.0.0.1:{platform.api_port}/x"},
                               max_retries=0)
    eu = Task.objects.create(name="eu", type="shell", spec={"command": "true"}, tags=["eu"])
    runs = {t.name: definitions.trigger(t) for t in (plain, gpu, http, eu)}

    assert platform.wait_run(runs["plain"].pk, "succeeded").worker == "gpu-shell"
    assert platform.wait_run(runs["gpu"].pk, "succeeded").worker == "gpu-shell"
    assert platform.wait_run(runs["http"].pk, {"failed", "succeeded"}).worker == "http-only"
    unrouted = wait_for(lambda: Run.objects.filter(pk=runs["eu"].pk).exclude(routing_error="").first(), 20,
                        "the unroutable run to say so")
    assert unrouted.status == "queued" and "tasks-" in unrouted.routing_error and ".shell.eu" in unrouted.routing_error
