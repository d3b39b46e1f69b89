"""A token's last use is kept (shown on the account page) without a write on every call: a GET
records it when it is older than a few minutes, and the row is left alone in between."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event as sa_event
from sqlalchemy import select

from node.accounts.accounts import TOKEN_USE_PRECISION
from node.accounts.models import ApiToken
from node.db import db


def _last_use(session):
    session.expire_all()
    return session.scalar(select(ApiToken.last_used_at))


def test_a_get_records_the_tokens_last_use_once_per_precision(app, client, session, create_member, api_token):
    member = create_member("lea@example.org")
    headers = api_token(member)
    assert _last_use(session) is None
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    first = _last_use(session)
    assert first is not None  # kept, though a GET commits nothing else

    writes = []
    sa_event.listen(db.engine(app), "before_cursor_execute",
                    lambda _c, _cur, statement, *_: writes.append(statement) if "UPDATE" in statement else None)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert writes == [] and _last_use(session) == first

    token = session.scalar(select(ApiToken))
    token.last_used_at = first - TOKEN_USE_PRECISION - timedelta(seconds=1)
    session.commit()
    writes.clear()
    assert client.get("/api/v1/needs", headers=headers).status_code == 200
    assert _last_use(session) > first - timedelta(seconds=1)
    assert len(writes) == 1
