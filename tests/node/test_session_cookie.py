"""The session cookie is sent again when the session changed, or once it is older than
``REFRESH_AFTER`` (which pushes a signed-in member's expiry back), not on every page."""

from __future__ import annotations

import time
from datetime import timedelta

from itsdangerous import TimestampSigner

from node.http.cookies import REFRESH_AFTER


def _cookie(response) -> str | None:
    sent = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("coworknet_session=")]
    return sent[0] if sent else None


def test_an_unchanged_session_is_not_sent_again_on_every_page(portal, create_member):
    create_member("lea@example.org")
    signed_in = portal.login("lea@example.org")
    assert signed_in.status_code == 302 and _cookie(signed_in) is not None
    assert "Expires=" in _cookie(signed_in)  # a permanent session
    first = portal.get("/")
    assert _cookie(first) is not None  # the session's new CSRF token (signing in renews it)
    for path in ("/", "/directory", "/events"):
        page = portal.get(path)
        assert page.status_code == 200
        assert _cookie(page) is None, path
        assert "Cookie" in page.headers.get("Vary", "")
    # Still signed in: the cookie the browser holds is the one sent at sign-in.
    assert portal.get("/profile").status_code == 200


def test_a_changed_session_is_sent_at_once(portal, create_member):
    create_member("lea@example.org")
    portal.login("lea@example.org")
    portal.get("/")
    changed = portal.post("/lang", {"lang": "en", "next": "/"})
    assert changed.status_code == 302 and _cookie(changed) is not None
    assert '<html lang="en"' in portal.get("/").get_data(as_text=True)
    signed_out = portal.post("/logout")
    assert _cookie(signed_out) is not None
    assert portal.get("/profile").status_code == 302  # signed out for good


def test_an_old_cookie_is_sent_again_with_a_new_expiry(portal, create_member, monkeypatch):
    create_member("lea@example.org")
    old = int(time.time() - (REFRESH_AFTER + timedelta(minutes=5)).total_seconds())
    with monkeypatch.context() as patched:
        patched.setattr(TimestampSigner, "get_timestamp", lambda self: old)
        portal.login("lea@example.org")  # the cookie is signed an hour and five minutes ago
        portal.get("/")  # its CSRF token, still an hour and five minutes ago
    refreshed = portal.get("/")
    assert refreshed.status_code == 200 and _cookie(refreshed) is not None
    assert _cookie(portal.get("/")) is None  # the new cookie is fresh
    assert portal.get("/profile").status_code == 200


def test_an_expired_or_forged_cookie_is_a_signed_out_visitor(app, portal, create_member, monkeypatch):
    create_member("lea@example.org")
    lifetime = app.permanent_session_lifetime.total_seconds()
    with monkeypatch.context() as patched:
        patched.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time() - lifetime - 60))
        portal.login("lea@example.org")
    assert portal.get("/profile").status_code == 302
    portal.client.set_cookie(app.config["SESSION_COOKIE_NAME"], "forged.value.here")
    assert portal.get("/profile").status_code == 302
