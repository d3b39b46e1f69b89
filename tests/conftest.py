"""Shared fixtures: one database per test session (SQLite, or PostgreSQL when
``COWORKNET_TEST_DATABASE_URL`` is set), emptied after every test; apps, clients and
factories built on it."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from node import create_app
from node.accounts import accounts
from node.clock import Clock
from node.db import db, make_engine
from node.federation.keyring import RUNTIME_INFO_KEY
from node.members import profiles
from node.migrate import upgrade
from node.models import Base

PG_URL = os.environ.get("COWORKNET_TEST_DATABASE_URL", "")
if PG_URL and (_WORKER := os.environ.get("PYTEST_XDIST_WORKER")):
    # Tests spread over processes (``pytest -n 2``): each worker names its databases after
    # itself (``coworknet_test_gw0_main``, its live nodes', its deployment tests'), so that two
    # workers never share one. Set before any test module reads the variable.
    _base = make_url(PG_URL)
    PG_URL = _base.set(database=f"{_base.database}_{_WORKER}").render_as_string(hide_password=False)
    os.environ["COWORKNET_TEST_DATABASE_URL"] = PG_URL
MEMBER_PASSWORD = "correct horse battery"  # noqa: S105 - test fixture

# Low-cost Argon2 parameters keep the suite fast; production uses the defaults.
TEST_SETTINGS = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key-that-is-long-enough-000000",
    "MAIL_BACKEND": "memory",
    "ARGON2_TIME_COST": 1,
    "ARGON2_MEMORY_COST": 8,
    "ARGON2_PARALLELISM": 1,
    "SERVER_NAME": "coworknet.test",
    "BASE_URL": "http://coworknet.test",
    "NODE_NAME": "La Ruche du Panier",
    "NODE_CITY": "Marseille",
}


def database_url_for(name: str, tmp_dir: Path) -> str:
    """A fresh, empty database named ``name``: a SQLite file, or a PostgreSQL database."""
    if not PG_URL:
        return f"sqlite:///{tmp_dir / (name + '.sqlite3')}"
    base = make_url(PG_URL)
    db_name = re.sub(r"[^a-z0-9_]", "_", f"{base.database}_{name}".lower())[:60]
    admin = make_engine(base.set(database="postgres").render_as_string(hide_password=False),
                        isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{db_name}"'))
    admin.dispose()
    return base.set(database=db_name).render_as_string(hide_password=False)


#: Under Debian's faketime (``faketime -f '+400d' make test``) the clock is moved, but timed
#: waits (``Event.wait(t)``, ``threading.Timer``) never time out (libfaketime 0.9.10, default
#: mode): the few tests built on them are skipped there, and run in every other run.
UNDER_FAKETIME = "faketime" in os.environ.get("LD_PRELOAD", "")


def pytest_collection_modifyitems(config, items):
    if not UNDER_FAKETIME:
        return
    skip = pytest.mark.skip(reason="libfaketime cannot time out a timed wait; runs without faketime")
    for item in items:
        if "real_timers" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = database_url_for("main", tmp_path_factory.mktemp("db"))
    upgrade(url)
    return url


def _empty_all_tables(app) -> None:
    engine = db.engine(app)
    tables = list(reversed(Base.metadata.sorted_tables))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture
def clock() -> Iterator[Clock]:
    """The test's clock, shared with the app under test: ``clock.now()`` is "now" for the test
    (build every date relative to it), ``clock.pin(moment)`` pins what pages, the API and jobs
    see (for a test whose point is a fixed date's wording). See docs/DEVELOPING.md."""
    test_clock = Clock()
    yield test_clock
    test_clock.unpin()


@pytest.fixture
def app(database_url, tmp_path, clock) -> Iterator:
    application = create_app({**TEST_SETTINGS, "DATABASE_URL": database_url,
                              "INSTANCE_PATH": str(tmp_path / "instance")}, clock=clock)
    yield application
    application.extensions[RUNTIME_INFO_KEY].wait_for_background()
    _empty_all_tables(application)
    db.engine(application).dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def session(app):
    """A database session for arranging and checking state outside requests.

    No application context stays pushed: each test request gets its own, as in production."""
    db_session = db.new_session(app)
    yield db_session
    db_session.close()


@pytest.fixture
def outbox(app):
    return app.extensions["coworknet.mail"].outbox


@pytest.fixture
def create_member(app, session) -> Callable:
    """Factory: ``create_member(email=..., role=..., skills=[("comptable", "expert")], ...)``."""
    counter = {"n": 0}

    def factory(email: str | None = None, *, display_name: str | None = None, role: str = "member",
                status: str = "active", password: str = MEMBER_PASSWORD, **profile):
        counter["n"] += 1
        email = email or f"member{counter['n']}@example.org"
        member = accounts.create_member(
            session, app.extensions["coworknet.passwords"], email=email,
            display_name=display_name or f"Membre {counter['n']}", password=password,
            role=role, status=status,
        )
        if "skills" in profile:
            profile["skills"] = [{"label": s, "level": lvl} for s, lvl in profile["skills"]]
        if profile:
            profiles.update_profile(session, member, profile)
        session.commit()
        return member

    return factory


CSRF_RE = re.compile(r'name="csrf-token" content="([^"]+)"')


class PortalClient:
    """A test client that behaves like a browser: it reads the CSRF token from pages."""

    def __init__(self, client):
        self.client = client

    def csrf(self) -> str:
        # Read afresh each time: signing in or out renews the session and its token.
        page = self.client.get("/login").get_data(as_text=True)
        return CSRF_RE.search(page).group(1)

    def get(self, *args, **kwargs):
        return self.client.get(*args, **kwargs)

    def post(self, url: str, data: dict | None = None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf())
        return self.client.post(url, data=data, **kwargs)

    def login(self, email: str, password: str = MEMBER_PASSWORD):
        return self.post("/login", {"email": email, "password": password})


@pytest.fixture
def portal(client) -> PortalClient:
    return PortalClient(client)


@pytest.fixture
def api_token(app, session) -> Callable:
    """Factory: a bearer token for a member."""

    def factory(member) -> dict:
        _token, clear = accounts.create_api_token(session, member, "tests")
        session.commit()
        return {"Authorization": f"Bearer {clear}"}

    return factory


def count_rows(session, model) -> int:
    from sqlalchemy import func, select

    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))
