"""CSRF on every portal form: each non-API rule accepting POST, sent by a signed-in manager and
by a signed-in member without ``csrf_token``, is refused with 400 and changes nothing."""

from __future__ import annotations

import pytest

from tests.node.enumerated_world import (
    ABSENT_ID,
    World,
    arrange_world,
    concrete,
    dispose_world,
    row_counts,
)

#: Routes that legitimately take no CSRF token, with the reason. Federation endpoints are called
#: by other nodes, signed with Ed25519 and without cookies, so a forged browser request has
#: nothing to ride on.
EXEMPT = {
    "federation.inbox_post": "signed federation message, no cookie",
    "federation.peering": "signed peering request, no cookie",
}
#: The OIDC callback is a GET answered to the provider's redirect; its ``state`` parameter (bound
#: to the session) is its CSRF protection. It must never start accepting POST unnoticed.
OIDC_CALLBACK = "/login/oidc/callback"
FORM = {"title": "Sans jeton", "text": "Sans jeton", "name": "Sans jeton", "decision": "accepted",
        "email": "accueil@example.org", "password": "correct horse battery", "lang": "en"}
CSRF_MESSAGE = "Le formulaire a expiré ou a été envoyé d’ailleurs."


@pytest.fixture(scope="module")
def world(database_url, tmp_path_factory) -> World:
    arranged = arrange_world(database_url, str(tmp_path_factory.mktemp("instance")))
    # Rows only another node or a mail creates: the CSRF check runs before any lookup.
    arranged.ids.update({"peer_id": ABSENT_ID, "token": "jeton-inconnu"})
    yield arranged
    dispose_world(arranged)


def portal_post_rules(app) -> list:
    return sorted((r for r in app.url_map.iter_rules()
                   if "POST" in r.methods and not r.rule.startswith("/api/")), key=lambda r: r.rule)


def test_exemptions_are_real_routes_and_the_oidc_callback_takes_no_post(world):
    rules = portal_post_rules(world.app)
    assert set(EXEMPT) <= {r.endpoint for r in rules}
    assert all(r.rule.startswith("/federation/") for r in rules if r.endpoint in EXEMPT)
    assert not [r for r in rules if r.rule == OIDC_CALLBACK]
    assert len(rules) - len(EXEMPT) >= 60


@pytest.mark.parametrize("who", ["manager", "member"])
def test_every_portal_form_needs_a_csrf_token(world, who):
    portal = world.portal(who)
    before = row_counts(world.app)
    accepted = []
    for rule in portal_post_rules(world.app):
        if rule.endpoint in EXEMPT:
            continue
        response = portal.client.post(concrete(rule.rule, world.ids), data=FORM)
        if response.status_code != 400 or CSRF_MESSAGE not in response.get_data(as_text=True):
            accepted.append((rule.rule, response.status_code))
    assert accepted == []
    assert row_counts(world.app) == before
    assert portal.get("/account/").status_code == 200  # still signed in: /logout was refused too
