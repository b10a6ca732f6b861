from tasks_app.models import Run
from tests.api.resource_suite import assert_error


def test_a_task_read_key_cannot_trigger_or_cancel(key_client, make_task, make_run):
    task = make_task()
    run = make_run(task, "queued")
    reader = key_client("TaskRead")

    assert_error(reader.post(f"/api/v1/tasks/{task.pk}/trigger/", {}, format="json"), 403, "permission_denied")
    assert_error(reader.post(f"/api/v1/runs/{run.pk}/cancel/"), 403, "permission_denied")
    assert Run.objects.count() == 1 and Run.objects.get().status == "queued"
    # ... while it can read them
    assert reader.get(f"/api/v1/runs/{run.pk}/").status_code == 200


def test_cancelling_a_finished_run_is_a_conflict(key_client, make_task, make_run):
    run = make_run(make_task(), "succeeded")
    error = assert_error(key_client("TaskWrite").post(f"/api/v1/runs/{run.pk}/cancel/"), 409, "conflict")
    assert "succeeded" in error["message"]


def test_retrying_a_successful_run_is_a_conflict(key_client, make_task, make_run):
    run = make_run(make_task(), "succeeded")
    assert_error(key_client("TaskWrite").post(f"/api/v1/runs/{run.pk}/retry/", {}, format="json"), 409, "conflict")
