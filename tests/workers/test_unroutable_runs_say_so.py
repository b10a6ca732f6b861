from tasks_app.models import Run
from tasks_app.services import dispatch
from workers_app.services import mark_routing


def test_a_run_no_online_worker_serves_is_marked_and_cleared_when_one_comes(make_task, no_publish, beat):
    beat("cpu", consuming=["tasks.shell"])
    plain = dispatch.create_run(make_task(name="plain"), Run.Trigger.MANUAL)
    gpu = dispatch.create_run(make_task(name="gpu", tags=["gpu"]), Run.Trigger.MANUAL)
    assert mark_routing() == 1
    assert Run.objects.get(pk=gpu.pk).routing_error == "no online worker consumes queue tasks.shell.gpu"
    assert Run.objects.get(pk=plain.pk).routing_error == ""

    beat("gpu-node", consuming=["tasks.shell", "tasks.shell.gpu"])
    mark_routing()
    assert Run.objects.get(pk=gpu.pk).routing_error == ""


def test_the_metrics_show_nodes_and_unroutable_runs(make_task, no_publish, beat, client):
    beat("n1")
    dispatch.create_run(make_task(tags=["eu"]), Run.Trigger.MANUAL)
    mark_routing()
    body = client.get("/metrics").content.decode()
    assert 'scheduler_nodes_total{status="online"} 1.0' in body
    assert 'worker_load_percentage{worker_id="n1"} 0.0' in body
    assert "taskplane_runs_unroutable 1.0" in body
