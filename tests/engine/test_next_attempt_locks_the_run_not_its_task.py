"""Starting a retry's next attempt locks the run's row only. Locking the task's row too would
make every trigger of that task (FOR SHARE) and every edit of it wait on each retry."""

import threading

import pytest
from django.db import DatabaseError, connection, transaction

from tasks_app import states
from tasks_app.models import Run, Task
from tasks_app.services import attempts


@pytest.mark.django_db(transaction=True)
def test_next_attempt_leaves_the_task_row_unlocked(make_task, no_publish):
    if connection.vendor != "postgresql":
        pytest.skip("row locks across connections need PostgreSQL; SQLite locks the whole database")
    task = make_task(max_retries=2)
    run = Run.objects.create(task=task, trigger=Run.Trigger.MANUAL, status=states.RETRYING, attempt=1)
    outcome = {}

    def lock_the_task_elsewhere():
        try:
            with transaction.atomic():
                Task.objects.select_for_update(nowait=True).get(pk=task.pk)
            outcome["task"] = "locked"
        except DatabaseError as exc:
            outcome["task"] = f"already locked: {exc}"
        finally:
            connection.close()

    with transaction.atomic():  # holds start_next_attempt's locks until the block ends
        assert attempts.start_next_attempt(run.pk)
        other = threading.Thread(target=lock_the_task_elsewhere)
        other.start()
        other.join(timeout=30)
    assert outcome == {"task": "locked"}
    assert Run.objects.get(pk=run.pk).attempt == 2
