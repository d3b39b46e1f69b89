"""Accounts through the portal: personal API tokens, password hashing and rehash on login,
the per-address login limit."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from node import create_app
from node.accounts import accounts
from node.accounts.passwords import Passwords
from node.db import db
from node.federation import rate_limits
from node.federation.keyring import RUNTIME_INFO_KEY
from node.models import ApiToken, LoginFailure, Member
from tests.conftest import (
    MEMBER_PASSWORD,
    TEST_SETTINGS,
    PortalClient,
    _empty_all_tables,
    count_rows,
)

NEW_TOKEN_RE = re.compile(r'<code id="new-token">([^<]+)</code>')


def test_a_member_creates_and_revokes_a_token_in_the_portal(portal, client, create_member, session):
    member = create_member(display_name="Léa Martin")
    portal.login(member.email)

    response = portal.post("/account/tokens", {"name": "Mon script"})
    assert response.status_code == 201
    clear = NEW_TOKEN_RE.search(response.get_data(as_text=True)).group(1)
    token = session.query(ApiToken).one()
    assert token.member_id == member.id and token.name == "Mon script" and token.revoked_at is None
    headers = {"Authorization": f"Bearer {clear}"}
    assert client.get("/api/v1/me", headers=headers).json["display_name"] == "Léa Martin"

    response = portal.post(f"/account/tokens/{token.id}/revoke", {"confirm": "1"})
    assert response.status_code == 302
    session.refresh(token)
    assert token.revoked_at is not None
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert "révoqué" in portal.get("/account/").get_data(as_text=True)


def test_a_token_without_a_name_is_refused_and_nothing_is_stored(portal, create_member, session):
    member = create_member()
    portal.login(member.email)
    response = portal.post("/account/tokens", {"name": "   "})
    assert response.status_code == 422
    assert 'id="new-token"' not in response.get_data(as_text=True)
    assert count_rows(session, ApiToken) == 0


def test_a_member_cannot_revoke_someone_elses_token(portal, client, create_member, api_token, session):
    owner, other = create_member(), create_member()
    headers = api_token(owner)
    portal.login(other.email)
    token = session.query(ApiToken).one()
    assert portal.post(f"/account/tokens/{token.id}/revoke", {"confirm": "1"}).status_code == 404
    session.refresh(token)
    assert token.revoked_at is None
    assert client.get("/api/v1/me", headers=headers).status_code == 200


def test_the_stored_hash_is_argon2id(create_member, session):
    member = create_member()
    session.refresh(member)
    assert member.password_hash.startswith("$argon2id$")
    assert MEMBER_PASSWORD not in member.password_hash


def test_a_weaker_hash_is_replaced_at_the_next_login(app, portal, create_member, session):
    weak = Passwords(time_cost=1, memory_cost=8, parallelism=1)
    strong = app.extensions["coworknet.passwords"]
    member = create_member(password=None)
    member.password_hash = weak.hash(MEMBER_PASSWORD)
    session.commit()
    # The test app's own settings are the weak ones; a node with stronger settings rehashes.
    app.extensions["coworknet.passwords"] = Passwords(time_cost=2, memory_cost=16, parallelism=1)
    try:
        old_hash = member.password_hash
        assert "m=8,t=1,p=1" in old_hash
        # A wrong password changes nothing.
        portal.login(member.email, "not the password")
        session.refresh(member)
        assert member.password_hash == old_hash
        assert portal.login(member.email).status_code == 302
        session.refresh(member)
        assert member.password_hash != old_hash
        assert member.password_hash.startswith("$argon2id$") and "m=16,t=2,p=1" in member.password_hash
        # The new hash still opens the account.
        portal.post("/logout")
        assert portal.login(member.email).status_code == 302
    finally:
        app.extensions["coworknet.passwords"] = strong


def _login_from(client, csrf_client, ip: str, email: str, password: str):
    return client.post("/login", data={"email": email, "password": password, "csrf_token": csrf_client.csrf()},
                       environ_base={"REMOTE_ADDR": ip})


def test_many_failures_from_one_address_are_throttled_but_not_another_address(app, portal, client,
                                                                               create_member, session):
    limit = app.config["LOGIN_MAX_FAILURES_PER_IP"]
    member = create_member()
    # Each account stays under its own limit: the address is what trips.
    emails = [f"inconnu{i}@example.org" for i in range(limit)]
    for email in emails:
        assert _login_from(client, portal, "203.0.113.7", email, "wrong").status_code == 401
    assert count_rows(session, LoginFailure) == limit
    # Even the right password is refused from this address now, and no failure is added.
    response = _login_from(client, portal, "203.0.113.7", member.email, MEMBER_PASSWORD)
    assert response.status_code == 429
    assert "Trop de tentatives" in response.get_data(as_text=True)
    assert count_rows(session, LoginFailure) == limit
    # Another address signs in.
    response = _login_from(client, portal, "198.51.100.20", member.email, MEMBER_PASSWORD)
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Member, member.id).last_login_at is not None


def test_a_forged_forwarded_address_does_not_escape_the_limit(app, portal, client, create_member, session):
    """Without a trusted proxy, X-Forwarded-For is the client's own word and is ignored."""
    app.config["LOGIN_MAX_FAILURES_PER_IP"] = 6
    member = create_member()
    for i in range(6):
        response = client.post("/login", data={"email": f"x{i}@example.org", "password": "wrong",
                                               "csrf_token": portal.csrf()},
                               headers={"X-Forwarded-For": f"192.0.2.{i}"}, environ_base={"REMOTE_ADDR": "203.0.113.9"})
        assert response.status_code == 401
    response = client.post("/login", data={"email": member.email, "password": MEMBER_PASSWORD,
                                           "csrf_token": portal.csrf()},
                           headers={"X-Forwarded-For": "192.0.2.200"}, environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert response.status_code == 429


@pytest.fixture
def proxied_app(database_url, tmp_path):
    """A node behind one trusted reverse proxy (COWORKNET_PROXY_FIX_X_FOR=1)."""
    app = create_app({**TEST_SETTINGS, "DATABASE_URL": database_url, "PROXY_FIX_X_FOR": 1,
                      "LOGIN_MAX_FAILURES_PER_IP": 6, "INSTANCE_PATH": str(tmp_path / "instance")})
    yield app
    app.extensions[RUNTIME_INFO_KEY].wait_for_background()
    _empty_all_tables(app)
    db.engine(app).dispose()


def test_behind_a_trusted_proxy_the_limit_is_per_client_address(proxied_app, session):
    passwords = proxied_app.extensions["coworknet.passwords"]
    member = accounts.create_member(session, passwords, email="lea@example.org", display_name="Léa",
                                    password=MEMBER_PASSWORD)
    session.commit()
    client = proxied_app.test_client()
    browser = PortalClient(client)

    def login(forwarded_for: str, email: str, password: str):
        return client.post("/login", data={"email": email, "password": password, "csrf_token": browser.csrf()},
                           headers={"X-Forwarded-For": forwarded_for}, environ_base={"REMOTE_ADDR": "127.0.0.1"})

    for i in range(6):
        assert login("203.0.113.7", f"x{i}@example.org", "wrong").status_code == 401
    assert session.scalars(select(LoginFailure.ip).distinct()).all() == ["203.0.113.7"]
    assert login("203.0.113.7", member.email, MEMBER_PASSWORD).status_code == 429
    # Every client comes through the same proxy; another one is not locked out.
    assert login("198.51.100.20", member.email, MEMBER_PASSWORD).status_code == 302


def test_an_ipv6_client_is_counted_by_its_slash_64(app, portal, client, create_member, session):
    """Hopping between the addresses of one /64 (a single host or line has billions of them)
    does not reset the per-address count; another /64 is not locked out."""
    limit = app.config["LOGIN_MAX_FAILURES_PER_IP"]
    member = create_member()
    for i in range(limit):
        assert _login_from(client, portal, f"2001:db8:1:2::{i + 1:x}", f"v6-{i}@example.org",
                           "wrong").status_code == 401
    assert session.scalars(select(LoginFailure.ip).distinct()).all() == ["2001:db8:1:2::/64"]
    response = _login_from(client, portal, "2001:db8:1:2:ffff:ffff:ffff:fffe", member.email,
                           MEMBER_PASSWORD)
    assert response.status_code == 429
    assert count_rows(session, LoginFailure) == limit
    response = _login_from(client, portal, "2001:db8:1:3::1", member.email, MEMBER_PASSWORD)
    assert response.status_code == 302


@pytest.mark.parametrize(("address", "group"), [
    ("203.0.113.7", "203.0.113.7"),
    ("2001:DB8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
    ("fe80::1%eth0", "fe80::/64"),
    ("::ffff:198.51.100.20", "198.51.100.20"),
    ("?", "?"),
])
def test_address_groups(address, group):
    assert rate_limits.address_group(address) == group
