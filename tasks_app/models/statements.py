"""The run path's hottest statements, written out once per shape instead of compiled by the ORM
on every call (issue 20: the compilation was most of the control role's and the triggering
process's CPU per run, bench/profile_events.py and bench/profile_dispatch.py).

Rows go in and come out exactly as the ORM moves them: values through each field's
get_db_prep_save (pre_save first, on insert), results through the backend's and the fields'
converters and Model.from_db. Only the SQL text is built here, once per (database, model,
columns, lock): what the ORM would build, minus its per-call work. insert and upsert send no
model signals and run no save() override: the models inserted here (Run, RunAttempt,
OutboxEntry) have neither (tasks_app.signals listens to Task and PeriodicTask saves only, which
keep going through save()); a model that gains one must not be inserted here. update is
QuerySet.update's equivalent, which sends none either (a task's fire cursor, an entry's
publication).
"""

from __future__ import annotations

import dataclasses
import functools

from django.db import connections, router, transaction
from django.db.models.expressions import DatabaseDefault

SHARE, UPDATE = "SHARE", "UPDATE"


def columns_in_model_order(model, names) -> tuple:
    """The primary key and the named fields, in the model's order (Model.from_db takes the values
    of a subset of fields in that order); names None: every concrete field."""
    if names is None:
        return tuple(model._meta.concrete_fields)
    wanted = {model._meta.get_field(name) for name in names}
    return tuple(f for f in model._meta.concrete_fields if f.primary_key or f in wanted)


def loaded(model, db: str, columns, values):
    """An instance of model from one row's values for columns (a slice of a fetched row)."""
    connection = connections[db]
    converted = [_from_db(db, field, value, connection) for field, value in zip(columns, values, strict=True)]
    return model.from_db(db, [f.attname for f in columns], converted)


def _from_db(db: str, field, value, connection):
    """A fetched value as the ORM hands it over: through the backend's and the field's converters."""
    column, converters = _converters_of(db, field)
    for converter in converters:
        value = converter(value, column, connection)
    return value


@functools.cache
def _converters_of(db: str, field) -> tuple:
    connection = connections[db]
    column = field.get_col(field.model._meta.db_table)
    return column, connection.ops.get_db_converters(column) + column.get_db_converters(connection)


def lock_clause(db: str, lock: str | None, of_table: str | None = None) -> str:
    """FOR SHARE / FOR UPDATE [OF table], or nothing where the database has no row locks (SQLite:
    a writing transaction locks the whole database)."""
    features = connections[db].features
    if lock is None or not features.has_select_for_update:
        return ""
    if of_table and features.has_select_for_update_of:
        return f" FOR {lock} OF {of_table}"
    return f" FOR {lock}"


def read_locked(model, pk, names=None, lock: str = UPDATE):
    """The row of model with primary key pk (the named fields, or all), locked FOR lock for the
    caller's transaction; None if there is none. On the primary, never a replica."""
    return _read_row(router.db_for_write(model), model, pk, names, lock)[0]


def _read_row(db: str, model, pk, names, lock: str, id_of=None) -> tuple:
    """(the instance, then what the statement selected past its columns), or (None, None)."""
    statement, columns = _read_statement(db, model, None if names is None else tuple(names), lock, id_of)
    with connections[db].cursor() as cursor:
        cursor.execute(statement, [pk])
        row = cursor.fetchone()
    if row is None:
        return None, None
    return loaded(model, db, columns, row[:len(columns)]), *row[len(columns):]


def read_locked_taking_id(model, pk, id_of, names=None, lock: str = UPDATE):
    """(the row as read_locked gives it, the next primary key of model id_of): the key taken from
    id_of's sequence in the same statement, where the database has sequences (PostgreSQL), so
    that a row of id_of and the rows naming it can be inserted in one statement (insert_together);
    None elsewhere (SQLite: the insert assigns it). No row: (None, None), no key taken. A key
    taken and not used is a gap in the ids, as a rolled-back insert leaves one."""
    db = router.db_for_write(model)
    if router.db_for_write(id_of) != db:
        raise ValueError(f"read_locked_taking_id: {id_of.__name__} is not on {db}")
    if connections[db].vendor != "postgresql":
        return read_locked(model, pk, names, lock), None
    return _read_row(db, model, pk, names, lock, id_of)


@functools.cache
def _read_statement(db: str, model, names, lock: str, id_of=None) -> tuple[str, tuple]:
    quote = connections[db].ops.quote_name
    columns = columns_in_model_order(model, names)
    table = quote(model._meta.db_table)
    selected = [f"{table}.{quote(f.column)}" for f in columns]
    if id_of is not None:  # PostgreSQL only (read_locked_taking_id): the sequence behind id_of's key
        sequence_of = f"pg_get_serial_sequence('{id_of._meta.db_table}', '{id_of._meta.pk.column}')"
        selected.append(f"nextval({sequence_of})")
    statement = (f"SELECT {', '.join(selected)} FROM {table} "
                 f"WHERE {table}.{quote(model._meta.pk.column)} = %s{lock_clause(db, lock)}")
    return statement, columns


def insert(instance) -> None:
    """INSERT the new instance (as save() would: pre_save of each field, the model's defaults
    already on it) and set its primary key; a field left to its database default (db_default)
    is read back, as save() does."""
    model = type(instance)
    db = router.db_for_write(model)
    connection = connections[db]
    if not connection.features.can_return_columns_from_insert:
        instance.save(force_insert=True, using=db)
        return
    statement, params, returned = _prepared_insert(db, connection, instance)
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        row = cursor.fetchone()
    _set_returned(db, connection, instance, returned, row)


def insert_together(*instances) -> None:
    """insert() of each new instance, as one statement where the database can say that
    (PostgreSQL: each INSERT a data-modifying WITH), else one after the other in one
    transaction. One round trip where they were as many as the rows (a run and its outbox
    entry: bench/profile_dispatch.py). An instance that names another (a foreign key) needs that
    one's primary key set before the call (read_locked_taking_id); in one statement the inserts
    see the same snapshot, so constraints that look across them must be deferred to the commit,
    as Django creates foreign keys on PostgreSQL."""
    db = router.db_for_write(type(instances[0]))
    connection = connections[db]
    if any(router.db_for_write(type(instance)) != db for instance in instances):
        raise ValueError(f"insert_together: not every row is on {db}")
    if connection.vendor != "postgresql":
        with transaction.atomic(using=db, savepoint=False):
            for instance in instances:
                insert(instance)
        return
    prepared = [_prepared_insert(db, connection, instance) for instance in instances]
    parts = ", ".join(f"i{i} AS ({statement})" for i, (statement, _, _) in enumerate(prepared))
    sources = ", ".join(f"i{i}" for i in range(len(prepared)))
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {parts} SELECT * FROM {sources}", [p for _, params, _ in prepared for p in params])
        row = cursor.fetchone()
    for instance, (_, _, returned) in zip(instances, prepared, strict=True):
        _set_returned(db, connection, instance, returned, row[:len(returned)])
        row = row[len(returned):]


def _prepared_insert(db: str, connection, instance) -> tuple[str, list, tuple]:
    """(INSERT ... RETURNING statement, its parameters, the fields it returns) of a new instance."""
    model = type(instance)
    pairs = [(f, f.pre_save(instance, True)) for f in model._meta.concrete_fields
             if not f.primary_key or getattr(instance, f.attname) is not None]
    params = [f.get_db_prep_save(v, connection) for f, v in pairs if not isinstance(v, DatabaseDefault)]
    sent = tuple(f.column for f, v in pairs if not isinstance(v, DatabaseDefault))
    returned = (model._meta.pk,) + tuple(f for f, v in pairs if isinstance(v, DatabaseDefault))
    return _insert_statement(db, model, sent, tuple(f.column for f in returned)), params, returned


def _set_returned(db: str, connection, instance, returned: tuple, values) -> None:
    for field, value in zip(returned, values, strict=True):
        setattr(instance, field.attname, _from_db(db, field, value, connection))
    instance._state.adding, instance._state.db = False, db


@functools.cache
def _insert_statement(db: str, model, sent: tuple[str, ...], returned: tuple[str, ...]) -> str:
    quote = connections[db].ops.quote_name
    return (f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(c) for c in sent)}) "
            f"VALUES ({', '.join(['%s'] * len(sent))}) RETURNING {', '.join(quote(c) for c in returned)}")


@dataclasses.dataclass(frozen=True)
class Update:
    """UPDATE model SET <values>, <each of increment> = itself + 1 WHERE <each of where> = its
    value AND <each of where_in> IN its values AND <each of where_null> IS NULL."""

    model: type
    where: dict
    values: dict
    increment: tuple[str, ...] = ()
    where_in: dict = dataclasses.field(default_factory=dict)
    where_null: tuple[str, ...] = ()


def update(model, where: dict, values: dict, increment: tuple[str, ...] = (), where_in: dict | None = None,
           where_null: tuple[str, ...] = ()) -> int:
    """Update(...) applied; returns the rows changed (a conditional UPDATE: callers check it
    changed the one row they meant)."""
    return update_together(Update(model, where, values, increment, where_in or {}, where_null))[0]


def update_together(*changes: Update) -> list[int]:
    """Several conditional UPDATEs of one database as one statement where it can say that
    (PostgreSQL: each a data-modifying WITH, its rows counted), else one after the other in one
    transaction; the rows each changed. One round trip and one commit where they were as many
    as the updates (a publish's bookkeeping: bench/profile_dispatch.py). The updates must not
    touch the same rows: in one statement they see the same snapshot, not each other's."""
    db = router.db_for_write(changes[0].model)
    connection = connections[db]
    prepared = [_prepared(db, connection, change) for change in changes]
    if len(prepared) == 1:
        with connection.cursor() as cursor:
            cursor.execute(*prepared[0])
            return [cursor.rowcount]
    if connection.vendor == "postgresql":
        counted = ", ".join(f"(SELECT count(*) FROM c{i})" for i in range(len(prepared)))
        statement = "WITH " + ", ".join(f"c{i} AS ({sql} RETURNING 1)" for i, (sql, _) in enumerate(prepared))
        with connection.cursor() as cursor:
            cursor.execute(f"{statement} SELECT {counted}", [p for _, params in prepared for p in params])
            return list(cursor.fetchone())
    with transaction.atomic(using=db, savepoint=False), connection.cursor() as cursor:
        counts = []
        for statement, params in prepared:
            cursor.execute(statement, params)
            counts.append(cursor.rowcount)
        return counts


def update_returning(change: Update, names: tuple[str, ...]):
    """The row a conditional UPDATE of one row (its primary key among `where`) changed, loaded
    with the named fields as the update left them; None when it changed nothing. One round
    trip (UPDATE ... RETURNING, PostgreSQL and SQLite 3.35+) where a locked read and then the
    update were two (a status event's start: tasks_app.services.events). Where the database
    cannot return columns, the update and then a read of the row in one transaction."""
    if "pk" not in change.where:
        raise ValueError("update_returning: the update must name its row's primary key")
    model, db = change.model, router.db_for_write(change.model)
    connection = connections[db]
    statement, params = _prepared(db, connection, change)
    if not connection.features.can_return_columns_from_insert:
        with transaction.atomic(using=db, savepoint=False), connection.cursor() as cursor:
            cursor.execute(statement, params)
            return read_locked(model, change.where["pk"], names, lock=None) if cursor.rowcount else None
    returning, columns = _returning_clause(db, model, tuple(names))
    with connection.cursor() as cursor:
        cursor.execute(statement + returning, params)
        row = cursor.fetchone()
    return None if row is None else loaded(model, db, columns, row)


@functools.cache
def _returning_clause(db: str, model, names: tuple[str, ...]) -> tuple[str, tuple]:
    quote = connections[db].ops.quote_name
    columns = columns_in_model_order(model, names)
    return f" RETURNING {', '.join(f'{quote(model._meta.db_table)}.{quote(f.column)}' for f in columns)}", columns


def _prepared(db: str, connection, change: Update) -> tuple[str, list]:
    model, where, values = change.model, change.where, change.values
    if router.db_for_write(model) != db:
        raise ValueError(f"update_together: {model.__name__} is not on {db}")
    statement = _update_statement(db, model, tuple(values), change.increment, tuple(where),
                                  tuple((name, len(options)) for name, options in change.where_in.items()),
                                  change.where_null)
    params = [_field(model, name).get_db_prep_save(value, connection) for name, value in values.items()]
    params += [_field(model, name).get_db_prep_value(value, connection) for name, value in where.items()]
    params += [_field(model, name).get_db_prep_value(option, connection)
               for name, options in change.where_in.items() for option in options]
    return statement, params


def _field(model, name: str):
    return model._meta.pk if name == "pk" else model._meta.get_field(name)


@functools.cache
def _update_statement(db: str, model, assigned: tuple[str, ...], increment: tuple[str, ...],
                      where: tuple[str, ...], where_in: tuple[tuple[str, int], ...], where_null: tuple[str, ...]) -> str:
    quote = connections[db].ops.quote_name
    column = lambda name: quote(_field(model, name).column)  # noqa: E731
    assignments = [f"{column(name)} = %s" for name in assigned] + [f"{column(n)} = {column(n)} + 1" for n in increment]
    conditions = [f"{column(name)} = %s" for name in where]
    conditions += [f"{column(name)} IN ({', '.join(['%s'] * count)})" for name, count in where_in]
    conditions += [f"{column(name)} IS NULL" for name in where_null]
    return f"UPDATE {quote(model._meta.db_table)} SET {', '.join(assignments)} WHERE {' AND '.join(conditions)}"


def upsert(instance, conflict: tuple[str, ...], updated: tuple[str, ...]) -> None:
    """INSERT the instance, or where a row with the same conflict fields exists (a unique
    constraint on them), UPDATE that row's `updated` fields to the instance's: INSERT ... ON
    CONFLICT ... DO UPDATE, which PostgreSQL and SQLite say the same way. The instance's
    primary key is not read back."""
    model = type(instance)
    db = router.db_for_write(model)
    connection = connections[db]
    columns = tuple(f for f in model._meta.concrete_fields if not f.primary_key)
    params = [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in columns]
    with connection.cursor() as cursor:
        cursor.execute(_upsert_statement(db, model, conflict, tuple(sorted(updated))), params)


@functools.cache
def _upsert_statement(db: str, model, conflict: tuple[str, ...], updated: tuple[str, ...]) -> str:
    quote = connections[db].ops.quote_name
    column = lambda name: quote(model._meta.get_field(name).column)  # noqa: E731
    columns = [f for f in model._meta.concrete_fields if not f.primary_key]
    return (f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in columns)}) "
            f"VALUES ({', '.join(['%s'] * len(columns))}) "
            f"ON CONFLICT ({', '.join(column(name) for name in conflict)}) "
            f"DO UPDATE SET {', '.join(f'{column(name)} = EXCLUDED.{column(name)}' for name in updated)}")
