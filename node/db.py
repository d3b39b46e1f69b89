"""The one place that creates engines and sessions."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

EXTENSION_KEY = "coworknet.db"


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

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return create_engine(url, pool_pre_ping=True, **kwargs)


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
    def _close_session(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.rollback()
            session.close()


db = Database()
