"""A dispatched run and the outbox entry that names it are written by one INSERT statement on
PostgreSQL (the run's id taken with the task's lock), two elsewhere, and either way the entry
names the run it was written with; a schedule fire reads its task once (create_run takes the
fire's lock as its own) and takes one savepoint, not two, and a second fire of the same time
leaves one run and one entry (issue 20: round trips per trigger and fire)."""

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tasks_app import states
from tasks_app.models import OutboxEntry, Run, Task
from tasks_app.services import dispatch, firing

FIRST_FIRE = dt.datetime(2026, 3, 1, 12, 1, tzinfo=dt.UTC)


def inserts_of(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith(("INSERT", "WITH"))]


def test_a_trigger_writes_its_run_and_entry_in_one_statement(make_task, no_publish):
    task = make_task()
    with CaptureQueriesContext(connection) as queries:
        run = dispatch.create_run(task, Run.Trigger.API)
    inserts = inserts_of(queries)
    if connection.vendor == "postgresql":
        assert len(inserts) == 1 and inserts[0].count("INSERT INTO") == 2
    else:
        assert len(inserts) == 2
    stored = Run.objects.get(pk=run.pk)
    assert (stored.status, stored.fence, stored.claim) == (states.PENDING, run.fence, "")
    entry = OutboxEntry.objects.get(run=run)
    assert entry.message_id == run.execution_id == f"run-{run.pk}-a1-{run.fence}"
    execution = entry.payload["execution"]
    assert (execution["run_id"], execution["execution_id"], execution["task_id"]) == (
        run.pk, run.execution_id, task.pk)


def test_a_fire_reads_its_task_once_and_a_second_fire_of_its_time_adds_nothing(make_task, no_publish):
    task = make_task(schedule={"interval_seconds": 60, "anchor": FIRST_FIRE.isoformat()})
    Task.objects.filter(pk=task.pk).update(last_scheduled_for=FIRST_FIRE - dt.timedelta(minutes=1))
    # Under the test's own transaction, fire_due's block is a savepoint too.
    fire_due_block = 1 if connection.in_atomic_block else 0
    with CaptureQueriesContext(connection) as queries:
        assert len(firing.fire_due(task.pk, now=FIRST_FIRE + dt.timedelta(seconds=5))) == 1
    savepoints = [q for q in queries.captured_queries if q["sql"].startswith("SAVEPOINT")]
    assert len(savepoints) == fire_due_block + 1  # create_run's own block; the insert takes none of its own
    task_reads = [q for q in queries.captured_queries if q["sql"].startswith('SELECT "tasks_app_task"')]
    assert len(task_reads) == 1
    inserts = inserts_of(queries)
    assert len(inserts) == (1 if connection.vendor == "postgresql" else 2)
    # A second dispatcher with a stale cursor fires the same time: the database refuses the run,
    # and its outbox entry, written in the same statement or block, goes with it.
    Task.objects.filter(pk=task.pk).update(last_scheduled_for=FIRST_FIRE - dt.timedelta(minutes=1))
    assert firing.fire_due(task.pk, now=FIRST_FIRE + dt.timedelta(seconds=6)) == []
    run = Run.objects.get(task=task)
    assert run.scheduled_for == FIRST_FIRE
    assert list(OutboxEntry.objects.filter(run__task=task).values_list("message_id", flat=True)) == [run.execution_id]
