"""Access control on every route, CSRF, headers, error pages."""

from __future__ import annotations

import re

import pytest

from node.models import Member
from tests.conftest import count_rows


def _rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint != "static"]


def test_every_route_declares_its_access_level(app):
    missing = [r.rule for r in _rules(app) if getattr(app.view_functions[r.endpoint], "access", None) is None]
    assert missing == []


def _concrete(rule) -> str:
    return re.sub(r"<(?:\w+:)?\w+>", "1", rule.rule)


def test_member_routes_need_a_session(app, client):
    for rule in _rules(app):
        view = app.view_functions[rule.endpoint]
        if view.access == "public" or rule.rule.startswith(("/api/", "/federation/")):
            continue
        methods = rule.methods - {"HEAD", "OPTIONS"}
        for method in methods:
            response = client.open(_concrete(rule), method=method)
            # Without a session: redirected to login (GET) or refused (POST without CSRF).
            assert response.status_code in (302, 400), (method, rule.rule, response.status_code)


def test_members_get_403_on_every_manager_route(app, portal, create_member):
    create_member("member@example.org")
    portal.login("member@example.org")
    checked = 0
    for rule in _rules(app):
        view = app.view_functions[rule.endpoint]
        if view.access != "manager" or rule.rule.startswith("/api/"):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = portal.client.open(_concrete(rule), method=method,
                                          data={"csrf_token": portal.csrf()})
            assert response.status_code == 403, (method, rule.rule)
            checked += 1
    assert checked >= 5


def test_members_get_403_on_manager_api(app, client, create_member, api_token):
    member = create_member()
    headers = api_token(member)
    for rule in _rules(app):
        view = app.view_functions[rule.endpoint]
        if view.access == "manager" and rule.rule.startswith("/api/"):
            method = sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
            assert client.open(_concrete(rule), method=method, json={}, headers=headers).status_code == 403


def test_api_requires_a_valid_token(client, create_member):
    assert client.get("/api/v1/me").status_code == 401
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer cwn_forged"})
    assert response.status_code == 401 and response.json["error"]["code"] == "unauthorized"


def test_revoked_token_and_suspended_member_lose_api_access(client, create_member, api_token, session):
    member = create_member()
    headers = api_token(member)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    session.get(Member, member.id).status = "suspended"
    session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_forms_without_csrf_token_are_rejected(client, create_member, session):
    create_member("camille@example.org")
    response = client.post("/login", data={"email": "camille@example.org", "password": "x" * 12})
    assert response.status_code == 400
    before = count_rows(session, Member)
    client.post("/signup", data={"email": "z@example.org", "display_name": "Z",
                                 "password": "long enough pw", "password_confirm": "long enough pw",
                                 "accept_privacy": "1"})
    assert count_rows(session, Member) == before


def test_security_headers_and_error_pages(client):
    response = client.get("/does-not-exist")
    assert response.status_code == 404
    assert "Page introuvable" in response.get_data(as_text=True)
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    api = client.get("/api/v1/nothing-here")
    assert api.status_code == 404 and api.json["error"]["code"] == "not_found"


def test_open_redirect_is_refused(portal, create_member):
    create_member("camille@example.org")
    response = portal.post("/login", {"email": "camille@example.org", "password": "correct horse battery",
                                      "next": "//evil.example/"})
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("lang,text", [("fr", "Se connecter"), ("en", "Sign in")])
def test_language_switch(portal, lang, text):
    portal.post("/lang", {"lang": lang, "next": "/"})
    page = portal.get("/").get_data(as_text=True)
    assert f'<html lang="{lang}">' in page and text in page


def test_french_is_the_default(client):
    page = client.get("/", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert '<html lang="fr">' in page and "Se connecter" in page


def test_production_settings_are_strict(tmp_path):
    from node import create_app

    app = create_app({"SECRET_KEY": "x" * 64, "INSTANCE_PATH": str(tmp_path)})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert not app.debug and not app.testing


def test_password_change_ends_other_sessions(app, create_member):
    from tests.conftest import PortalClient

    create_member("camille@example.org")
    first, second = PortalClient(app.test_client()), PortalClient(app.test_client())
    first.login("camille@example.org")
    second.login("camille@example.org")
    response = first.post("/account/password", {"current_password": "correct horse battery",
                                                 "password": "another long one", "password_confirm": "another long one"})
    assert response.status_code == 302
    assert first.get("/account/").status_code == 200
    assert second.get("/account/").status_code == 302
    wrong = first.post("/account/password", {"current_password": "nope", "password": "x" * 12,
                                             "password_confirm": "x" * 12})
    assert wrong.status_code == 403
