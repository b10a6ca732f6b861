"""The run path's written-out statements (tasks_app.models.statements) store and load rows
exactly as the ORM does: a run inserted by statements.insert reads back field for field like one
saved by save() (its database default filled in, its JSON, times and text intact), a task read
by read_locked equals the ORM's, a missing row is None, and update changes only the rows its
condition names, incrementing what it is told to; update_together does the same for several
updates at once, as one statement on PostgreSQL and in one transaction elsewhere; upsert inserts
a row, then updates only the fields it names; update_returning hands back the one row it changed,
loaded as the ORM loads it after the update, or None when its condition matched nothing;
read_locked_taking_id reads the row and, on PostgreSQL, takes the next run id in the same
statement, which insert_together then inserts with a row naming it, both as one statement there
and one after the other elsewhere, each stored as save() stores it."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tasks_app import states
from tasks_app.models import OutboxEntry, Run, RunAttempt, Task, statements


def fields_of(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields
            if not f.primary_key}


def test_an_inserted_run_reads_back_like_a_saved_one(make_task):
    at = datetime.datetime(2026, 12, 6, 9, 30, 15, 123456, tzinfo=datetime.UTC)

    def shaped(task):  # a schedule fire: one run per (task, time), so each on a task of its own
        return Run(task=task, trigger=Run.Trigger.SCHEDULE, scheduled_for=at, params={"colour": "red", "n": [1, 2]},
                   triggered_by="ü-user", created_at=at, fence="abc", queue="tasks.shell")
    saved, inserted = shaped(make_task("saved")), shaped(make_task("inserted"))
    saved.save()
    statements.insert(inserted)
    assert inserted.pk and inserted.pk != saved.pk and not inserted._state.adding
    assert inserted.claim == "" == saved.claim  # db_default, read back as save() does

    def stored(run):
        return dict(fields_of(Run.objects.get(pk=run.pk)), task_id=None)
    assert stored(inserted) == stored(saved) == dict(fields_of(inserted), task_id=None)


def test_a_task_read_locked_equals_the_orms_and_a_missing_one_is_none(make_task):
    task = make_task(spec={"command": "echo ü"}, tags=["gpu"], max_retries=3)
    for lock in (statements.SHARE, statements.UPDATE):
        read = statements.read_locked(Task, task.pk, lock=lock)
        assert fields_of(read) == fields_of(Task.objects.get(pk=task.pk)) and read.pk == task.pk
        assert statements.read_locked(Task, task.pk + 1000, lock=lock) is None


def test_update_changes_only_the_rows_its_condition_names(make_task):
    run = Run.objects.create(task=make_task(), trigger=Run.Trigger.MANUAL)
    entry = OutboxEntry.objects.create(run=run, name="x", queue="q", message_id="m", payload={}, claim_token="mine")
    at = datetime.datetime(2026, 12, 6, 9, 30, tzinfo=datetime.UTC)
    assert statements.update(OutboxEntry, {"pk": entry.pk, "claim_token": "theirs"}, {"published_at": at},
                             increment=("publish_attempts",)) == 0
    assert statements.update(OutboxEntry, {"pk": entry.pk, "claim_token": "mine"}, {"published_at": at},
                             increment=("publish_attempts",)) == 1
    entry.refresh_from_db()
    assert (entry.published_at, entry.publish_attempts) == (at, 1)


def test_upsert_inserts_then_updates_only_the_fields_it_names(make_task):
    run = Run.objects.create(task=make_task(), trigger=Run.Trigger.MANUAL)
    at = datetime.datetime(2026, 12, 6, 9, 30, tzinfo=datetime.UTC)
    statements.upsert(RunAttempt(run=run, attempt=1, fence="f", status="running", worker="w1", started_at=at),
                      conflict=("run", "attempt"), updated=("status", "worker", "started_at"))
    statements.upsert(RunAttempt(run=run, attempt=1, fence="g", status="failed", worker="w2", exit_code=3),
                      conflict=("run", "attempt"), updated=("status", "exit_code"))
    row = RunAttempt.objects.get(run=run, attempt=1)
    assert (row.fence, row.status, row.worker, row.started_at, row.exit_code) == ("f", "failed", "w1", at, 3)
    assert RunAttempt.objects.filter(run=run).count() == 1


def test_update_together_changes_what_each_names_and_counts_each(make_task):
    run = Run.objects.create(task=make_task(), trigger=Run.Trigger.MANUAL, attempt=1, fence="f1")
    other = Run.objects.create(task=run.task, trigger=Run.Trigger.MANUAL, attempt=1, fence="f2")
    entry = OutboxEntry.objects.create(run=run, name="x", queue="q", message_id="m", payload={}, claim_token="mine")
    at = datetime.datetime(2026, 12, 6, 9, 30, tzinfo=datetime.UTC)
    published = statements.Update(OutboxEntry, {"pk": entry.pk, "claim_token": "mine"}, {"published_at": at},
                                  increment=("publish_attempts",))
    with CaptureQueriesContext(connection) as sent:
        counts = statements.update_together(
            published, Run.objects.attempt_move(run.pk, 1, "f1", states.QUEUED, queued_at=at),
            Run.objects.attempt_move(other.pk, 1, "not-its-fence", states.QUEUED, queued_at=at))
    assert counts == [1, 1, 0]
    entry.refresh_from_db()
    run.refresh_from_db()
    other.refresh_from_db()
    assert (entry.published_at, entry.publish_attempts) == (at, 1)
    assert (run.status, run.queued_at) == (states.QUEUED, at)
    assert (other.status, other.queued_at) == (states.PENDING, None)
    updates = [q["sql"] for q in sent.captured_queries if "UPDATE" in q["sql"]]
    assert len(updates) == (1 if connection.vendor == "postgresql" else 3)
    # a second time: the entry's claim and the run's status no longer match
    assert statements.update_together(published, Run.objects.attempt_move(run.pk, 1, "f1", states.QUEUED)) == [1, 0]


def test_update_returning_hands_back_the_changed_row_as_the_orm_reads_it(make_task):
    at = datetime.datetime(2026, 12, 6, 9, 30, 15, 123456, tzinfo=datetime.UTC)
    run = Run.objects.create(task=make_task(), trigger=Run.Trigger.SCHEDULE, scheduled_for=at, fence="f1",
                             status=states.QUEUED)
    names = ("trigger", "scheduled_for", "status", "worker")
    assert statements.update_returning(Run.objects.attempt_move(run.pk, 1, "not-its-fence", states.RUNNING,
                                                                worker="w1"), names) is None
    assert Run.objects.get(pk=run.pk).status == states.QUEUED  # nothing changed
    moved = statements.update_returning(Run.objects.attempt_move(run.pk, 1, "f1", states.RUNNING, worker="w1"), names)
    stored = Run.objects.only(*names).get(pk=run.pk)
    assert moved.pk == run.pk and {n: getattr(moved, n) for n in names} == {n: getattr(stored, n) for n in names}
    assert (moved.status, moved.worker, moved.scheduled_for, moved.trigger) == (states.RUNNING, "w1", at, "schedule")
    assert Run.objects.moved_attempt(run.pk, 1, "f1", states.RUNNING, names, worker="w2") is None  # moved already
    with CaptureQueriesContext(connection) as queries:
        Run.objects.moved_attempt(run.pk, 1, "f1", states.SUCCEEDED, names)
    assert len(queries.captured_queries) == (1 if connection.features.can_return_columns_from_insert else 2)


def test_read_locked_taking_id_takes_an_unused_run_id_with_the_row(make_task):
    task = make_task()
    earlier = Run.objects.create(task=task, trigger=Run.Trigger.MANUAL)
    with CaptureQueriesContext(connection) as queries:
        read, run_id = statements.read_locked_taking_id(Task, task.pk, Run, lock=statements.SHARE)
    assert fields_of(read) == fields_of(Task.objects.get(pk=task.pk))
    assert len(queries.captured_queries) == 1
    if connection.vendor == "postgresql":
        assert run_id > earlier.pk and not Run.objects.filter(pk=run_id).exists()
        assert statements.read_locked_taking_id(Task, task.pk, Run)[1] == run_id + 1  # taken, never handed out twice
    else:
        assert run_id is None  # no sequence: the insert assigns it
    assert statements.read_locked_taking_id(Task, task.pk + 1000, Run) == (None, None)


def test_insert_together_stores_a_run_and_the_entry_naming_it_as_save_does(make_task):
    at = datetime.datetime(2026, 12, 6, 9, 30, 15, 123456, tzinfo=datetime.UTC)
    task = make_task()
    saved = Run(task=task, trigger=Run.Trigger.API, params={"n": [1, "ü"]}, created_at=at, fence="abc", queue="q")
    saved.save()
    _, run_id = statements.read_locked_taking_id(Task, task.pk, Run)
    run = Run(id=run_id, task=task, trigger=Run.Trigger.API, params={"n": [1, "ü"]}, created_at=at, fence="abc",
              queue="q")
    if run_id is None:  # SQLite: the entry below needs the run's id, so the run goes in first
        statements.insert(run)
    entry = OutboxEntry(run=run, name="x", queue="q", message_id=run.execution_id, payload={"execution": {"a": 1}},
                        claimed_at=at, claim_token="mine")
    with CaptureQueriesContext(connection) as queries:
        statements.insert_together(*((run, entry) if run_id is not None else (entry,)))
    inserts = [q["sql"] for q in queries.captured_queries if "INSERT" in q["sql"]]
    assert len(inserts) == 1 and (run_id is None or inserts[0].count("INSERT") == 2)
    assert run.pk and entry.pk and not run._state.adding and not entry._state.adding
    assert run.claim == "" == saved.claim  # the run's db_default, read back from the shared statement
    stored_run = Run.objects.get(pk=run.pk)
    assert fields_of(stored_run) == fields_of(saved) == fields_of(run)
    stored_entry = OutboxEntry.objects.get(pk=entry.pk)
    assert fields_of(stored_entry) == fields_of(entry) and stored_entry.run_id == run.pk
    assert stored_entry.message_id == f"run-{run.pk}-a1-abc"


def test_insert_together_refuses_rows_of_two_databases_and_inserts_nothing(make_task, settings):
    # One database here: a row routed elsewhere stands in through a router that sends entries away.
    class EntriesElsewhere:
        def db_for_write(self, model, **hints):
            return "elsewhere" if model is OutboxEntry else None

    settings.DATABASE_ROUTERS = [EntriesElsewhere()]
    run = Run(task=make_task(), trigger=Run.Trigger.API)
    with pytest.raises(ValueError, match="not every row is on default"):
        statements.insert_together(run, OutboxEntry(run_id=1, name="x", queue="q", message_id="m", payload={}))
    assert not Run.objects.exists()
