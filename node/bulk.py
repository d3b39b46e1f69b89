"""Many rows into one table, at the speed of the database driver (the sync's hot write path).

Core's ``executemany`` spends more time preparing the parameters of each row (the compiled
statement's parameter processing and the column types' bind processors, called per row and
per column) than SQLite spends writing them. :func:`insert_rows` does that preparation once
per column: the statement is compiled by SQLAlchemy for the dialect, the bind processors are
the columns' own, and a value repeated across rows (a page's one timestamp) is processed once.
On SQLite the rows then go to the driver's ``executemany``, on PostgreSQL (psycopg) to one
``COPY``; another backend takes Core's multi-row ``INSERT``.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from operator import itemgetter
from typing import Any

from psycopg import sql as pg_sql
from sqlalchemy import ColumnElement, Table, any_, bindparam, func, insert, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

_SENTINEL = object()


def insertable_columns(table: Table) -> frozenset[str]:
    """The columns a row must name: all of them but an autoincrement primary key."""
    auto = table.autoincrement_column
    return frozenset(c.key for c in table.columns if c is not auto)


def insert_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT ``rows`` into ``table`` in the session's transaction. Every row names exactly
    :func:`insertable_columns` (no Python-side defaults are applied: a new column with one
    must be given here, and a test that inserts rows says so)."""
    if not rows:
        return
    columns = sorted(insertable_columns(table))
    wanted = set(columns)
    for row in rows:
        if row.keys() != wanted:
            raise ValueError(f"rows for {table.name} must name exactly {sorted(wanted)}")
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name == "sqlite":
        compiled = insert(table).values({c: bindparam(c) for c in columns}).compile(
            dialect=dialect)
        order = compiled.positiontup
        assert order is not None and sorted(order) == columns  # qmark: positional parameters
    elif dialect.name == "postgresql" and dialect.driver == "psycopg":
        order = columns
    else:
        session.execute(insert(table), list(rows))
        return
    if len(order) == 1:
        values: list[tuple[Any, ...]] = [(row[order[0]],) for row in rows]
    else:
        getter = itemgetter(*order)
        values = [getter(row) for row in rows]
    processors = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
                  for name in order]
    if any(processors):
        by_column = [_processed(column, process)
                     for column, process in zip(zip(*values, strict=True), processors, strict=True)]
        values = list(zip(*by_column, strict=True))
    if dialect.name == "sqlite":
        connection.exec_driver_sql(compiled.string, values)
    else:
        _copy_rows(connection.connection.driver_connection, table.name, order, values)


def _copy_rows(driver_connection: Any, table_name: str, columns: Sequence[str],
               values: Sequence[Sequence[Any]]) -> None:
    """The rows into the table with PostgreSQL's COPY, in the session's transaction: one
    statement whose rows psycopg streams and adapts in C. A multi-row INSERT costs more in
    building and adapting its parameters than the server spends writing the rows. Triggers and
    constraints apply as for an INSERT."""
    statement = pg_sql.SQL("COPY {} ({}) FROM STDIN").format(
        pg_sql.Identifier(table_name), pg_sql.SQL(", ").join(map(pg_sql.Identifier, columns)))
    with driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in values:
            copy.write_row(row)


def _processed(column: tuple[Any, ...], process: Any) -> tuple[Any, ...] | list[Any]:
    if process is None:
        return column
    result: list[Any] = []
    last_in: Any = _SENTINEL
    last_out: Any = None
    for value in column:
        if value is not last_in:  # a value repeated in a row after row is processed once
            last_in, last_out = value, process(value)
        result.append(last_out)
    return result


def among(session: Session, column: Any, values: Collection[str] | Collection[int]
          ) -> ColumnElement[bool]:
    """``column IN values`` as one bound parameter, however many values: a JSON array read by
    ``json_each`` on SQLite, an array with ``= ANY`` on PostgreSQL. An expanding ``IN`` of a
    page's thousand ids costs SQLAlchemy a thousand bind names to render on every call (more
    than the lookup itself); other backends get that plain ``IN``."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        listed = func.json_each(json.dumps(list(values))).table_valued("value")
        return column.in_(select(listed.c.value))
    if dialect == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(list(values))
