"""Sign-in with an OpenID provider running on loopback: the whole redirect dance, with real
HTTP for discovery, JWKS, the code exchange and userinfo."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from node import create_app
from node.accounts import accounts
from node.models import Member, OidcIdentity, Space
from tests.conftest import TEST_SETTINGS, count_rows

from .provider import CLIENT_ID, CLIENT_SECRET

ALICE = {"sub": "op-user-1", "email": "alice@example.org", "email_verified": True, "name": "Alice Martin"}


def go_to_provider(client, next_url: str | None = None) -> str:
    """Start the sign-in; returns the provider's authorize URL the browser is sent to."""
    response = client.get("/login/oidc" + (f"?{urlencode({'next': next_url})}" if next_url else ""))
    assert response.status_code == 302
    return response.headers["Location"]


def back_from_provider(authorize_url: str) -> str:
    """What the provider answers: a redirect to our callback with a code and the state."""
    answer = requests.get(authorize_url, allow_redirects=False, timeout=5)
    assert answer.status_code == 302
    parts = urlsplit(answer.headers["Location"])
    return f"{parts.path}?{parts.query}"


def sign_in(client, provider, user: dict, next_url: str | None = None):
    provider.user = user
    return client.get(back_from_provider(go_to_provider(client, next_url)))


def is_signed_in(client) -> bool:
    return client.get("/account/").status_code == 200


def test_login_page_offers_the_provider_only_when_configured(client, database_url, tmp_path):
    assert "Sign in with Réseau des tiers-lieux" in client.get("/login", headers={
        "Accept-Language": "en"}).get_data(as_text=True)
    plain = create_app({**TEST_SETTINGS, "DATABASE_URL": database_url,
                        "INSTANCE_PATH": str(tmp_path / "plain")}).test_client()
    assert "/login/oidc" not in plain.get("/login").get_data(as_text=True)
    assert plain.get("/login/oidc").status_code == 404


def test_authorization_request_uses_state_nonce_and_pkce(client, provider):
    query = parse_qs(urlsplit(go_to_provider(client)).query)
    assert query["response_type"] == ["code"]
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["state"][0] and query["nonce"][0]
    assert set(query["scope"][0].split()) == {"openid", "email", "profile"}


def test_existing_active_member_is_linked_by_verified_email(client, provider, create_member, session):
    member = create_member("Alice@Example.org")
    response = sign_in(client, provider, ALICE, next_url="/directory")
    assert response.status_code == 302 and response.headers["Location"].endswith("/directory")
    assert is_signed_in(client)
    assert provider.token_requests[-1]["code_verifier"]  # PKCE verifier sent with the code
    identity = session.query(OidcIdentity).one()
    assert (identity.member_id, identity.subject) == (member.id, "op-user-1")
    # Later sign-ins follow the subject, even when the provider's email changed.
    fresh = client.application.test_client()
    sign_in(fresh, provider, {**ALICE, "email": "alice.martin@example.org"})
    assert is_signed_in(fresh)
    assert count_rows(session, Member) == 1


def test_unknown_email_creates_a_pending_account_for_the_manager(client, provider, create_member,
                                                                 session, outbox):
    create_member("cm@example.org", role="manager")
    response = sign_in(client, provider, {**ALICE, "sub": "new-1", "email": "bob@example.org",
                                          "name": "Bob"})
    assert response.status_code == 403
    assert "approval" in response.get_data(as_text=True)
    assert not is_signed_in(client)
    bob = accounts.find_by_email(session, "bob@example.org")
    assert (bob.status, bob.display_name, bob.password_hash) == ("pending", "Bob", None)
    assert [mail.to for mail in outbox] == ["cm@example.org"]
    # Once the manager approved, the same provider account signs in.
    bob.status = "active"
    session.commit()
    sign_in(client, provider, {**ALICE, "sub": "new-1", "email": "bob@example.org"})
    assert is_signed_in(client)


def test_invitation_only_space_creates_nothing(client, provider, session):
    session.add(Space(name="Fermé", base_url="http://coworknet.test", signup_mode="closed"))
    session.commit()
    response = sign_in(client, provider, {**ALICE, "email": "carol@example.org", "sub": "c"})
    assert response.status_code == 403
    assert count_rows(session, Member) == 0 and count_rows(session, OidcIdentity) == 0


def test_unverified_email_links_and_creates_nothing(client, provider, create_member, session):
    create_member("alice@example.org")
    response = sign_in(client, provider, {**ALICE, "email_verified": False})
    assert response.status_code == 403
    assert "confirmed your email" in response.get_data(as_text=True)
    assert not is_signed_in(client)
    assert count_rows(session, OidcIdentity) == 0 and count_rows(session, Member) == 1


def test_email_verified_from_userinfo_when_the_id_token_lacks_it(client, provider, create_member):
    create_member("alice@example.org")
    provider.userinfo_claims = dict(ALICE)
    sign_in(client, provider, {"sub": ALICE["sub"]})
    assert is_signed_in(client)


def test_suspended_member_is_refused(client, provider, create_member, session):
    create_member("alice@example.org", status="suspended")
    response = sign_in(client, provider, ALICE)
    assert response.status_code == 403 and "suspended" in response.get_data(as_text=True)
    assert not is_signed_in(client)


def test_bad_state_is_refused(client, provider, create_member, session):
    create_member("alice@example.org")
    provider.user = ALICE
    callback = back_from_provider(go_to_provider(client))
    parts = urlsplit(callback)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query["state"] = "forged-state"
    response = client.get(f"{parts.path}?{urlencode(query)}")
    assert response.status_code == 400
    assert not is_signed_in(client) and count_rows(session, OidcIdentity) == 0


def test_callback_without_starting_here_is_refused(client, provider, create_member, session):
    """Login CSRF: a code obtained in another browser cannot be planted in this one."""
    create_member("alice@example.org")
    provider.user = ALICE
    other = client.application.test_client()
    callback = back_from_provider(go_to_provider(other))
    assert client.get(callback).status_code == 400
    assert not is_signed_in(client)


def test_replayed_callback_is_refused(client, provider, create_member):
    create_member("alice@example.org")
    provider.user = ALICE
    callback = back_from_provider(go_to_provider(client))
    assert client.get(callback).status_code == 302
    fresh = client.application.test_client()
    assert fresh.get(callback).status_code == 400


@pytest.mark.parametrize("tamper", ["nonce_override", "audience_override", "omit_id_token"])
def test_id_token_problems_are_refused(client, provider, create_member, session, tamper):
    create_member("alice@example.org")
    setattr(provider, tamper, True if tamper == "omit_id_token" else "someone-else")
    response = sign_in(client, provider, ALICE)
    assert response.status_code in (400, 403)
    assert not is_signed_in(client) and count_rows(session, OidcIdentity) == 0


def test_next_is_kept_on_this_site_only(client, provider, create_member):
    create_member("alice@example.org")
    response = sign_in(client, provider, ALICE, next_url="//evil.example/steal")
    assert urlsplit(response.headers["Location"]).netloc in ("", "coworknet.test")
    assert "evil" not in response.headers["Location"]


def test_messages_are_in_french_by_default(app, provider, create_member):
    create_member("alice@example.org", status="suspended")
    french = app.test_client()
    assert "Se connecter avec Réseau des tiers-lieux" in french.get("/login").get_data(as_text=True)
    provider.user = {**ALICE, "email_verified": False, "sub": "x"}
    page = french.get(back_from_provider(go_to_provider(french))).get_data(as_text=True)
    assert "n’a pas confirmé votre adresse e-mail" in page


def test_issuer_configured_with_a_trailing_slash(app, provider, create_member, database_url, tmp_path):
    create_member("alice@example.org")
    other = create_app({**TEST_SETTINGS, "DATABASE_URL": database_url,
                        "INSTANCE_PATH": str(tmp_path / "slash"), "OIDC_ISSUER": provider.issuer + "/",
                        "OIDC_CLIENT_ID": CLIENT_ID, "OIDC_CLIENT_SECRET": CLIENT_SECRET})
    browser = other.test_client()
    sign_in(browser, provider, ALICE)
    assert is_signed_in(browser)
