from tasks_app import states
from tasks_app.models import Run, Task


def test_task_list_detail_and_actions(admin_client, make_task, no_publish):
    task = make_task(name="nightly", schedule={"cron": "0 3 * * *", "timezone": "Europe/Berlin"})
    assert b"nightly" in admin_client.get("/admin/tasks_app/task/?q=night").content
    assert admin_client.get(f"/admin/tasks_app/task/{task.pk}/change/").status_code == 200

    admin_client.post("/admin/tasks_app/task/", {"action": "pause", "_selected_action": [task.pk]})
    assert Task.objects.get(pk=task.pk).enabled is False
    admin_client.post("/admin/tasks_app/task/", {"action": "resume", "_selected_action": [task.pk]})
    assert Task.objects.get(pk=task.pk).enabled is True
    admin_client.post("/admin/tasks_app/task/", {"action": "trigger_now", "_selected_action": [task.pk]})
    assert Run.objects.filter(task=task, trigger="manual").count() == 1


def test_run_list_filters_and_cancel_and_replay(admin_client, make_task, no_publish):
    task = make_task()
    queued = Run.objects.create(task=task, trigger="manual", status=states.QUEUED, fence="f")
    dead = Run.objects.create(task=task, trigger="manual", status=states.DEAD)
    response = admin_client.get("/admin/tasks_app/run/?status__exact=dead")
    assert response.status_code == 200 and f'value="{dead.pk}"'.encode() in response.content

    admin_client.post("/admin/tasks_app/run/", {"action": "cancel", "_selected_action": [queued.pk]})
    queued.refresh_from_db()
    assert queued.status == states.CANCELLED and queued.cancelled_by == "admin:admin"
    admin_client.post("/admin/tasks_app/run/", {"action": "replay", "_selected_action": [dead.pk]})
    assert Run.objects.filter(replay_of=dead, trigger="replay").count() == 1
