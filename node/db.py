"""The one place that creates engines and sessions."""

from __future__ import annotations

import logging

from flask import Flask, current_app, g
from sqlalchemy import Engine, Select, create_engine, event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from .uow import recorded

logger = logging.getLogger(__name__)

EXTENSION_KEY = "coworknet.db"
#: ``connection.info`` key: whether the connection's current transaction sent anything but a
#: plain ``SELECT`` (see :func:`_note_writes`).
WROTE = "coworknet.wrote"


def make_engine(url: str, **kwargs) -> Engine:
    """An engine with the pragmas and pool settings each backend needs."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - trivial
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    else:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        engine = create_engine(url, pool_pre_ping=True, **kwargs)
    event.listen(engine, "begin", _transaction_begins)
    event.listen(engine, "before_cursor_execute", _note_writes)
    return engine


def _transaction_begins(connection) -> None:
    connection.info[WROTE] = False


def _note_writes(connection, _cursor, statement: str, _parameters, _context, _executemany) -> None:
    """Remember that the transaction may have changed something: any statement but a plain
    ``SELECT`` (a ``WITH`` may hold an ``INSERT``). Read by :func:`wrote_nothing`."""
    if not statement.startswith("SELECT"):
        connection.info[WROTE] = True


def wrote_nothing(session: Session) -> bool:
    """Whether the session's transaction is open, healthy, and has neither sent a change to the
    database nor holds one to send (rows, or events for the unit of work): ending it with
    COMMIT or ROLLBACK is then the same."""
    transaction = session.get_transaction()
    if transaction is None or not transaction.is_active:
        return False
    if session.new or session.deleted or session.identity_map.check_modified() or recorded(session):
        return False
    return session.connection().info.get(WROTE) is False


def for_update(session: Session, query: Select) -> Select:
    """``query`` locking the rows it reads until the transaction ends, read afresh.

    PostgreSQL locks the rows (``FOR UPDATE``). SQLite has no row locks, and pysqlite sends
    plain reads outside any transaction: two transactions could both read a row, then write
    one after the other, the second over the first's change from a stale read. There the
    transaction takes the database's write lock first (``BEGIN IMMEDIATE``, or nothing when it
    has already written and so holds it), so whoever reads under it reads the last committed
    state and writes before anyone else can."""
    connection = session.connection()
    if connection.dialect.name == "sqlite" and not connection.connection.driver_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    return query.with_for_update().execution_options(populate_existing=True)


def share_with_sessions(app: Flask, key: str, value: object) -> None:
    """Give every session the app opens ``session.info[key] = value`` (the federation runtime,
    the network settings): plain values set once by the factory, never work to do."""
    factory = app.extensions[EXTENSION_KEY]
    info = dict(factory.kw.get("info") or {})
    info[key] = value
    factory.configure(info=info)


class Database:
    """Unbound extension: ``db.init_app(app)``, then ``db.session`` inside a request."""

    def init_app(self, app: Flask) -> None:
        engine = make_engine(app.config["DATABASE_URL"])
        app.extensions[EXTENSION_KEY] = sessionmaker(bind=engine, expire_on_commit=False)
        app.teardown_appcontext(self._close_session)

    @staticmethod
    def engine(app: Flask | None = None) -> Engine:
        factory = (app or current_app).extensions[EXTENSION_KEY]
        return factory.kw["bind"]

    @staticmethod
    def new_session(app: Flask | None = None) -> Session:
        """A session outside the request cycle (CLI, scheduler); the caller closes it."""
        return (app or current_app).extensions[EXTENSION_KEY]()

    @property
    def session(self) -> Session:
        if "db_session" not in g:
            g.db_session = self.new_session()
        return g.db_session

    @staticmethod
    def _close_session(exc: BaseException | None) -> None:
        """End the request's session. A transaction that only read ends with COMMIT: the same
        as a ROLLBACK for the database, but psycopg forgets its prepared statements on every
        ROLLBACK (a failed transaction may have lost one), so a node that rolled back each
        page's reads would parse and plan every statement anew, which was most of
        PostgreSQL's work. Anything else (a change never committed, an error) rolls back."""
        session = g.pop("db_session", None)
        if session is None:
            return
        try:
            if exc is None and wrote_nothing(session):
                session.commit()
        except SQLAlchemyError:  # the answer is sent; a lost connection only costs its statements
            logger.warning("a read-only transaction could not commit; rolled back", exc_info=True)
        finally:
            session.rollback()
            session.close()


db = Database()
