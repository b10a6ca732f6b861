"""Issue 20 (CPU per status event): the run a `started` or `finished` event locks is read in one
statement, with the columns the event needs (a run has some fifty, stdout and stderr among
them) and no ORDER BY; nothing it reads later is loaded by a query of its own. Every kind of
outcome is walked: a start claim, the claim asked again and another refused, a success, a
failure that retries, a failure that is final, an attempt under a cancel. The read still locks
the run's row for the event's transaction, and not its task's (which the task's triggers lock).
A first start reads nothing at all: its move (UPDATE ... RETURNING) locks the row and hands
back what the start needs, one statement on the run where there were two."""

import threading

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tasks_app.models import Run, Task
from tasks_app.services import cancelling, dispatch, events


@pytest.fixture
def quiet_broker(monkeypatch, no_publish):
    monkeypatch.setattr("tasks_app.services.stopping.current_app.control.broadcast", lambda *a, **kw: None)


def event(run, kind, **fields):
    return {"kind": kind, "run_id": run.pk, "attempt": run.attempt, "fence": run.fence, "worker": "w1",
            "node": "worker@w1", **fields}


def statements_on_the_run(apply) -> list[str]:
    """Every statement naming the run's table while `apply` runs (which must return true)."""
    with CaptureQueriesContext(connection) as queries:
        assert apply() is not False
    table = f'"{Run._meta.db_table}"'
    return [q["sql"] for q in queries.captured_queries if table in q["sql"]]


def reads_of_the_run(apply) -> list[str]:
    """The SELECTs from the run's table while `apply` runs (which must return true)."""
    return [sql for sql in statements_on_the_run(apply)
            if sql.lstrip().upper().startswith("SELECT") and f'FROM "{Run._meta.db_table}"' in sql]


def assert_one_narrow_read(reads: list[str]) -> None:
    assert len(reads) == 1, f"the run was read {len(reads)} times: {reads}"
    sql = reads[0]
    assert '"stdout"' not in sql and '"stderr"' not in sql and '"params"' not in sql, sql
    assert "ORDER BY" not in sql.upper(), sql


@pytest.mark.parametrize("outcome, retries, cancel", [
    ("succeeded", 0, False), ("failed", 2, False), ("failed", 0, False), ("failed", 0, True),
])
def test_each_event_reads_its_run_once_and_narrowly(make_task, quiet_broker, django_capture_on_commit_callbacks,
                                                     outcome, retries, cancel):
    run = dispatch.create_run(make_task(max_retries=retries), Run.Trigger.MANUAL)
    run.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        touched = statements_on_the_run(lambda: events.apply_event(event(run, "started", claim="c1")) == "applied")
    (move,) = [sql for sql in touched if f'"{Run._meta.db_table}"' in sql.split(" WHERE ")[0]]  # not the attempt's FK
    assert move.lstrip().upper().startswith("UPDATE") and " RETURNING " in move.upper(), touched
    assert not [sql for sql in touched if sql.lstrip().upper().startswith("SELECT")], touched
    returned = move.upper().rsplit(" RETURNING ", 1)[1]
    assert '"STDOUT"' not in returned and '"PARAMS"' not in returned, move
    assert Run.objects.get(pk=run.pk).status == "running"
    for token, verdict in (("c1", "duplicate"), ("c2", "stopped")):  # the same claim asked again, and another
        with django_capture_on_commit_callbacks(execute=True):
            reads = reads_of_the_run(
                lambda t=token, v=verdict: events.apply_event(event(run, "started", claim=t)) == v)
        assert_one_narrow_read(reads)

    if cancel:
        cancelling.request_cancel(run.pk, by="test")
    with django_capture_on_commit_callbacks(execute=True):
        reads = reads_of_the_run(lambda: events.apply_event(
            event(run, "finished", status=outcome, exit_code=0 if outcome == "succeeded" else 1, stdout="out\n")))
    assert_one_narrow_read(reads)
    expected = "cancelled" if cancel else outcome if not retries else "retrying"
    assert Run.objects.get(pk=run.pk).status == expected


@pytest.mark.django_db(transaction=True)
def test_the_narrow_read_still_locks_the_run_and_not_its_task(make_task, quiet_broker):
    if connection.vendor != "postgresql":
        pytest.skip("row locks across connections need PostgreSQL; SQLite locks the whole database")
    run = dispatch.create_run(make_task(), Run.Trigger.MANUAL)
    run.refresh_from_db()
    events.apply_event(event(run, "started", claim="c1"))
    seen = {}

    def try_locks_elsewhere():
        for name, rows in (("run", Run.objects.filter(pk=run.pk)), ("task", Task.objects.filter(pk=run.task_id))):
            try:
                with transaction.atomic():
                    rows.select_for_update(nowait=True).get()
                seen[name] = "free"
            except DatabaseError:
                seen[name] = "locked"
        connection.close()

    # The read alone (a conclusion's later UPDATE would lock the run anyway), then a whole conclusion.
    for step in (lambda: Run.objects.locked(run.pk, events.CONCLUSION_READS, events.CONCLUSION_TASK_READS),
                 lambda: events.conclude_attempt(run.pk, run.attempt, run.fence, "succeeded", {}, timezone.now(), "w1")):
        seen.clear()
        with transaction.atomic():
            assert step()
            other = threading.Thread(target=try_locks_elsewhere)
            other.start()
            other.join(timeout=30)
        assert seen == {"run": "locked", "task": "free"}
