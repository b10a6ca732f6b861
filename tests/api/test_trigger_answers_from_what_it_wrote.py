"""POST /api/v1/tasks/{id}/trigger/ answers with the run it created without reading it back:
not the row, not its task, not its attempts (a run published only after this request commits
has none). Each read back was one more round trip on the API's hottest write."""

from django.db import connection
from django.test.utils import CaptureQueriesContext


def test_trigger_reads_back_neither_the_run_nor_its_attempts(admin_client, make_task):
    task = make_task(name="now", type="http")
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.post(f"/api/v1/tasks/{task.pk}/trigger/", {"params": {"a": 1}}, format="json")
    assert response.status_code == 201, response.content
    run = response.json()
    assert run["task"] == task.pk and run["task_name"] == "now" and run["params"] == {"a": 1}
    assert run["status"] == "pending" and run["attempts"] == []
    reads = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("SELECT")]
    assert not [sql for sql in reads if 'FROM "tasks_app_runattempt"' in sql or 'FROM "tasks_app_run"' in sql], reads
