"""Declarative base and column helpers shared by every model."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import Boolean, DateTime, Integer, MetaData, String, TypeDecorator, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware datetimes, stored as UTC on every backend (SQLite drops tzinfo)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a *_at column")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class _ValueList(TypeDecorator):
    """A list of values bound as one parameter: an array on PostgreSQL, JSON text elsewhere."""

    impl = String
    cache_ok = True

    def __init__(self, kind: str = "int") -> None:
        super().__init__()
        self.kind = kind  # "int" or "str": hashable, so statements of either kind are cached

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(Integer if self.kind == "int" else String))
        return dialect.type_descriptor(String())

    def process_bind_param(self, value, dialect):
        values = list(value)
        return values if dialect.name == "postgresql" else json.dumps(values)


class Among(ColumnElement[bool]):
    """``column`` is one of ``values``, the values bound as ONE parameter (see :func:`among`)."""

    inherit_cache = True
    type = Boolean()
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement),
                           ("values", InternalTraversal.dp_clauseelement)]

    def __init__(self, column, values: Iterable, kind: str) -> None:
        self.column = column
        self.values = bindparam(None, list(values), type_=_ValueList(kind))


@compiles(Among, "postgresql")
def _among_postgresql(element: Among, compiler, **kw) -> str:
    return f"{compiler.process(element.column, **kw)} = ANY({compiler.process(element.values, **kw)})"


@compiles(Among)
def _among_json(element: Among, compiler, **kw) -> str:
    # Compiled fragments (a column, a bound parameter's placeholder): no value is written in.
    return (f"{compiler.process(element.column, **kw)} IN "  # noqa: S608
            f"(SELECT value FROM json_each({compiler.process(element.values, **kw)}))")


def among(column, values: Iterable) -> Among:
    """``column IN values`` for a list of ids or keys, the list bound as one parameter
    (``= ANY(array)`` on PostgreSQL, ``IN (SELECT value FROM json_each(...))`` on SQLite).

    An ``in_()`` renders one parameter per value: its SQL differs with the list's length, so
    the database parses and plans it each time, and each value costs SQLAlchemy and the driver
    about 5 µs (``bench/RESULTS.md``). The lists of a page (its 30 or 50 dates, members, needs)
    go through this instead. Integer and string columns only."""
    kind = "str" if isinstance(getattr(column, "type", None), String) else "int"
    return Among(column, values, kind)
