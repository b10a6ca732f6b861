"""vacuum and reindex run on the suite's database (PostgreSQL: VACUUM (ANALYZE) and REINDEX
TABLE CONCURRENTLY per table, outside any transaction; SQLite: VACUUM, ANALYZE, REINDEX)."""

import pytest
from django.core.management.base import CommandError
from django.db import connection

from tests.maintenance.helpers import run_command

pytestmark = pytest.mark.django_db(transaction=True)  # VACUUM refuses to run inside a transaction


def test_vacuum():
    out = run_command("vacuum")
    if connection.vendor == "postgresql":
        assert 'VACUUM (ANALYZE) "tasks_app_run": ' in out
    else:
        assert out.startswith("VACUUM: ") and "\nANALYZE: " in out
    assert "vacuum done" in out


def test_reindex():
    out = run_command("reindex", "--table", "tasks_app_run")
    if connection.vendor == "postgresql":
        expected = 'REINDEX TABLE CONCURRENTLY "tasks_app_run"'
    else:
        expected = 'REINDEX "tasks_app_run"'
    assert out.startswith(f"{expected}: ")
    assert "reindex done: 1 statement(s)" in out


def test_unknown_table_is_refused():
    with pytest.raises(CommandError, match="not a table of this database: nope"):
        run_command("reindex", "--table", "nope")
