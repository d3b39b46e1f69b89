"""How a request's database session ends (``node.db.Database._close_session``): a request that
only read commits its empty transaction, so that psycopg keeps its prepared statements (it
forgets them on every ROLLBACK); anything written and not committed by the request, sent to
the database or only pending in the session, is rolled back as before, and so is a request
that failed."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from node.db import db
from node.members.models import Member


@pytest.fixture
def ends(app):
    """The endings of the app's transactions, in order: "commit" or "rollback" (a rollback
    of a connection with no transaction open is not counted)."""
    seen: list[str] = []
    engine = db.engine(app)

    def on_commit(_conn) -> None:
        seen.append("commit")

    def on_rollback(conn) -> None:
        if conn.in_transaction():
            seen.append("rollback")

    event.listen(engine, "commit", on_commit)
    event.listen(engine, "rollback", on_rollback)
    yield seen
    event.remove(engine, "commit", on_commit)
    event.remove(engine, "rollback", on_rollback)


@pytest.fixture
def routes(app, create_member):
    """Test-only routes, each ending its request in one of the ways a view can."""
    member = create_member("endings@example.org", display_name="Lucie")

    def read():
        return db.session.scalars(select(Member.display_name).where(Member.id == member.id)).one()

    def flushed_and_refused():
        db.session.add(Member(email="ghost@example.org", display_name="Fantôme", role="member",
                              status="active", password_hash="x"))  # noqa: S106 - never a real hash
        db.session.flush()
        return "refused", 422

    def statement_not_committed():
        db.session.execute(update(Member).where(Member.id == member.id).values(display_name="Écrasé"))
        return "not committed"

    def pending_change():
        db.session.get(Member, member.id).display_name = "En attente"
        return "pending"

    def failed():
        db.session.scalars(select(Member.id)).all()
        raise RuntimeError("the view failed")

    def committed_then_read():
        db.session.get(Member, member.id).headline = "Traductrice"
        db.session.commit()
        return read()

    for view in (read, flushed_and_refused, statement_not_committed, pending_change, failed,
                 committed_then_read):
        app.add_url_rule(f"/_endings/{view.__name__}", view.__name__, view)
    return member


def test_a_request_that_only_read_commits_its_transaction(app, client, routes, ends):
    assert client.get("/_endings/read").get_data(as_text=True) == "Lucie"
    assert ends == ["commit"]


def test_a_request_that_committed_then_read_commits_again_and_keeps_its_change(app, client, routes,
                                                                                  ends, session):
    assert client.get("/_endings/committed_then_read").status_code == 200
    assert ends == ["commit", "commit"]
    session.expire_all()
    assert session.get(Member, routes.id).headline == "Traductrice"


@pytest.mark.parametrize("view", ["flushed_and_refused", "statement_not_committed", "pending_change"])
def test_a_change_the_request_did_not_commit_is_rolled_back(app, client, routes, ends, session, view):
    client.get(f"/_endings/{view}")
    assert ends == ["rollback"]
    session.expire_all()
    assert session.get(Member, routes.id).display_name == "Lucie"
    assert session.scalars(select(Member).where(Member.email == "ghost@example.org")).first() is None


def test_a_failed_request_is_rolled_back(app, client, routes, ends):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert client.get("/_endings/failed").status_code == 500
    # The failed view's transaction is rolled back first; the error page then reads (the
    # menu, the space's name) in a transaction of its own, which commits.
    assert ends[:1] == ["rollback"]


def test_on_postgresql_the_pages_statements_stay_prepared_across_requests(app, client, routes):
    if db.engine(app).dialect.name != "postgresql":
        pytest.skip("prepared statements are psycopg's, on PostgreSQL")

    def prepared():
        return db.session.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar_one()

    app.add_url_rule("/_endings/prepared", "prepared", lambda: str(prepared()))
    # psycopg prepares a statement on its fifth run on a connection; the pool hands its
    # connections out in turn, and the test's own session holds one.
    for _ in range(20):
        assert client.get("/_endings/read").status_code == 200
    assert int(client.get("/_endings/prepared").get_data(as_text=True)) >= 1


def test_a_read_only_commit_that_fails_is_logged_and_rolled_back(app, client, routes, ends,
                                                                   monkeypatch, caplog):
    def lost(_session):
        raise OperationalError("COMMIT", {}, ConnectionError("server closed the connection"))

    monkeypatch.setattr(Session, "commit", lost)
    assert client.get("/_endings/read").status_code == 200  # the answer was already made
    assert ends == ["rollback"]
    assert "could not commit" in caplog.text
