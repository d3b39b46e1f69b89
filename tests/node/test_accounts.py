"""Accounts through the portal: login, throttling, suspension, invitations, sign-up, resets."""

from __future__ import annotations

import re
from datetime import timedelta

from node.models import Invitation, LoginFailure, Member
from tests.conftest import MEMBER_PASSWORD, count_rows


def test_login_and_logout(portal, create_member):
    create_member("camille@example.org")
    response = portal.login("Camille@Example.org ")
    assert response.status_code == 302
    assert portal.get("/directory").status_code == 200
    portal.post("/logout")
    assert portal.get("/directory").status_code == 302


def test_wrong_password_is_refused_and_recorded(portal, create_member, session):
    create_member("camille@example.org")
    response = portal.login("camille@example.org", "not the password")
    assert response.status_code == 401
    assert "Mauvais e-mail ou mot de passe" in response.get_data(as_text=True)
    assert count_rows(session, LoginFailure) == 1


def test_login_is_rate_limited_even_with_the_right_password(portal, create_member, app):
    create_member("camille@example.org")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert portal.login("camille@example.org", "wrong password").status_code == 401
    assert portal.login("camille@example.org").status_code == 429


def test_suspended_and_pending_members_cannot_log_in(portal, create_member):
    create_member("suspended@example.org", status="suspended")
    create_member("pending@example.org", status="pending")
    assert portal.login("suspended@example.org").status_code == 403
    assert portal.login("pending@example.org").status_code == 403
    assert portal.get("/directory").status_code == 302


def test_suspension_ends_open_sessions(app, create_member, session):
    manager = create_member("manager@example.org", role="manager")
    member = create_member("member@example.org")
    from tests.conftest import PortalClient

    member_portal = PortalClient(app.test_client())
    member_portal.login("member@example.org")
    assert member_portal.get("/directory").status_code == 200
    manager_portal = PortalClient(app.test_client())
    manager_portal.login("manager@example.org")
    response = manager_portal.post(f"/admin/members/{member.id}/status", {"status": "suspended", "confirm": "1"})
    assert response.status_code == 302
    assert member_portal.get("/directory").status_code == 302
    assert manager.id != member.id


def test_session_cookie_flags(app, portal, create_member):
    create_member("camille@example.org")
    response = portal.login("camille@example.org")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


def test_invitation_link_is_single_use(portal, create_member, session, outbox, app):
    create_member("manager@example.org", role="manager")
    portal.login("manager@example.org")
    response = portal.post("/admin/invitations", {"email": "new@example.org", "role": "member"})
    assert response.status_code == 201
    link = re.search(r"http://coworknet\.test(/invitation/[\w-]+)", outbox[-1].body).group(1)
    portal.post("/logout")

    form = {"email": "new@example.org", "display_name": "Nina K.", "password": "a long password 1",
            "password_confirm": "a long password 1", "accept_privacy": "1"}
    assert portal.post(link, form).status_code == 302
    assert session.query(Member).filter_by(email="new@example.org").one().status == "active"
    portal.post("/logout")
    second = dict(form, email="other@example.org")
    assert portal.post(link, second).status_code == 404
    assert count_rows(session, Member) == 2


def test_expired_invitation_is_refused(portal, create_member, session, app, clock):
    manager = create_member("manager@example.org", role="manager")
    from node.accounts import accounts

    _inv, token = accounts.create_invitation(session, created_by=manager, email=None, role="member", ttl_hours=1)
    session.query(Invitation).update({"expires_at": clock.now() - timedelta(minutes=1)})
    session.commit()
    assert portal.get(f"/invitation/{token}").status_code == 404


def test_signup_waits_for_approval(portal, create_member, session, outbox):
    create_member("manager@example.org", role="manager")
    form = {"email": "lea@example.org", "display_name": "Léa M.", "password": "un mot de passe long",
            "password_confirm": "un mot de passe long", "accept_privacy": "1"}
    response = portal.post("/signup", form)
    assert response.status_code == 200
    assert "approuvera" in response.get_data(as_text=True)
    assert outbox and outbox[-1].to == "manager@example.org"
    assert portal.login("lea@example.org", "un mot de passe long").status_code == 403

    portal.login("manager@example.org")
    lea = session.query(Member).filter_by(email="lea@example.org").one()
    portal.post(f"/admin/members/{lea.id}/status", {"status": "active"})
    portal.post("/logout")
    assert portal.login("lea@example.org", "un mot de passe long").status_code == 302


def test_invalid_signup_writes_nothing(portal, session):
    before = count_rows(session, Member)
    bad_forms = [
        {"email": "not-an-email", "display_name": "X", "password": "long enough pw", "password_confirm": "long enough pw"},
        {"email": "a@example.org", "display_name": "  ", "password": "long enough pw", "password_confirm": "long enough pw"},
        {"email": "a@example.org", "display_name": "X", "password": "short", "password_confirm": "short"},
        {"email": "a@example.org", "display_name": "X", "password": "long enough pw", "password_confirm": "different pw!"},
        {"email": "a@example.org", "display_name": "X", "password": "long enough pw", "password_confirm": "long enough pw", "accept_privacy": "1", "role": "manager"},
        # Everything right but the consent to the privacy notice.
        {"email": "a@example.org", "display_name": "X", "password": "long enough pw", "password_confirm": "long enough pw"},
    ]
    for form in bad_forms:
        response = portal.post("/signup", form)
        assert 400 <= response.status_code < 500, form
    assert count_rows(session, Member) == before


def test_signup_closed_by_setting(portal, create_member, session):
    create_member("manager@example.org", role="manager")
    portal.login("manager@example.org")
    portal.post("/admin/settings", {"signup_mode": "closed", "description": ""})
    portal.post("/logout")
    form = {"email": "x@example.org", "display_name": "X", "password": "long enough pw",
            "password_confirm": "long enough pw", "accept_privacy": "1"}
    assert portal.post("/signup", form).status_code == 403
    assert session.query(Member).filter_by(email="x@example.org").count() == 0


def test_password_reset_by_token(portal, create_member, outbox):
    create_member("camille@example.org")
    response = portal.post("/password/forgot", {"email": "camille@example.org"})
    assert response.status_code == 302
    link = re.search(r"http://coworknet\.test(/password/reset/[\w-]+)", outbox[-1].body).group(1)
    form = {"password": "brand new password", "password_confirm": "brand new password"}
    assert portal.post(link, form).status_code == 302
    assert portal.login("camille@example.org", MEMBER_PASSWORD).status_code == 401
    assert portal.login("camille@example.org", "brand new password").status_code == 302
    assert portal.post(link, form).status_code == 404  # single use


def test_password_reset_does_not_reveal_accounts(portal, outbox):
    response = portal.post("/password/forgot", {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert outbox == []


def test_last_manager_cannot_step_down(portal, create_member):
    manager = create_member("manager@example.org", role="manager")
    other = create_member("other@example.org")
    portal.login("manager@example.org")
    assert portal.post(f"/admin/members/{other.id}/role", {"role": "manager", "confirm": "1"}).status_code == 302
    portal.login("manager@example.org")
    assert portal.post(f"/admin/members/{other.id}/role", {"role": "member", "confirm": "1"}).status_code == 302
    response = portal.post(f"/admin/members/{manager.id}/status", {"status": "suspended", "confirm": "1"})
    assert response.status_code == 409
