"""`manage.py vacuum` and `manage.py reindex`: the first guide's `data vacuum` / `data reindex`.

PostgreSQL: `VACUUM (ANALYZE)` of each table (it cannot run inside a transaction block, so
each statement runs in autocommit, outside any atomic()), and `REINDEX TABLE CONCURRENTLY`,
which rebuilds indexes without blocking writes (PostgreSQL 12+; older servers get a plain,
locking REINDEX TABLE). SQLite: VACUUM rewrites the whole file (it has no per-table form),
then ANALYZE; REINDEX per table.

"Our tables" are the ones Django manages in this database (our apps, django-celery-beat,
auth, sessions), or the ones named with --table.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.db import connection


@dataclass
class Step:
    statement: str
    seconds: float


class MaintenanceError(Exception):
    pass


def our_tables(only: list[str] | None = None) -> list[str]:
    existing = sorted(connection.introspection.django_table_names(only_existing=True))
    if not only:
        return existing
    unknown = sorted(set(only) - set(existing))
    if unknown:
        raise MaintenanceError(f"not a table of this database: {', '.join(unknown)}")
    return sorted(set(only))


def _run(statements: list[str], on_step=None) -> list[Step]:
    if connection.in_atomic_block:
        raise MaintenanceError("VACUUM and REINDEX CONCURRENTLY cannot run inside a transaction")
    steps = []
    with connection.cursor() as cursor:
        for statement in statements:
            started = time.monotonic()
            cursor.execute(statement)
            steps.append(Step(statement, time.monotonic() - started))
            if on_step:
                on_step(steps[-1])
    return steps


def vacuum(tables: list[str] | None = None, on_step=None) -> list[Step]:
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        statements = [f"VACUUM (ANALYZE) {quote(t)}" for t in our_tables(tables)]
    elif connection.vendor == "sqlite":
        our_tables(tables)  # validate the names; SQLite vacuums the whole file
        statements = ["VACUUM", "ANALYZE"]
    else:
        raise MaintenanceError(f"vacuum does not support {connection.vendor}")
    return _run(statements, on_step)


def reindex(tables: list[str] | None = None, on_step=None) -> list[Step]:
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        concurrently = " CONCURRENTLY" if connection.pg_version >= 120000 else ""
        statements = [f"REINDEX TABLE{concurrently} {quote(t)}" for t in our_tables(tables)]
    elif connection.vendor == "sqlite":
        statements = [f"REINDEX {quote(t)}" for t in our_tables(tables)]
    else:
        raise MaintenanceError(f"reindex does not support {connection.vendor}")
    return _run(statements, on_step)
