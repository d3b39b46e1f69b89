"""Single sign-on in a real browser: the login page offers the provider, Chromium follows the
redirects to the loopback OpenID provider and back, and the member is signed in."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from node.db import db
from tests.oidc.provider import CLIENT_ID, CLIENT_SECRET, ProviderServer

from .conftest import check_accessibility, screenshot, start_node

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def sso_node(tmp_path_factory):
    with ProviderServer() as provider:
        node, server = start_node(
            "sso", "La Clairière des Grès", "Fontainebleau", tmp_path_factory.mktemp("sso"),
            OIDC_ISSUER=provider.issuer, OIDC_CLIENT_ID=CLIENT_ID, OIDC_CLIENT_SECRET=CLIENT_SECRET,
            OIDC_DISPLAY_NAME="Réseau des tiers-lieux")
        yield node, provider
        server.shutdown()
        server.server_close()
        db.engine(node.app).dispose()


def test_sign_in_with_the_network_provider(sso_node, new_page):
    node, provider = sso_node
    node.create_member("lucie@example.org", display_name="Lucie")
    provider.user = {"sub": "lucie-1", "email": "lucie@example.org", "email_verified": True,
                     "name": "Lucie"}
    page = new_page()
    page.goto(node.url + "/login")
    check_accessibility(page, "login with single sign-on")
    screenshot(page, "18-login-with-sso")
    page.get_by_role("link", name="Se connecter avec Réseau des tiers-lieux").click()
    expect(page).to_have_url(node.url + "/")
    expect(page.locator("main")).to_contain_text("Bonjour Lucie")
