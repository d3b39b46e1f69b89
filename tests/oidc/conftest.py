"""A node configured for single sign-on with the loopback provider of ``provider.py``."""

from __future__ import annotations

import pytest

from node import create_app
from node.db import db
from tests.conftest import TEST_SETTINGS, _empty_all_tables

from .provider import CLIENT_ID, CLIENT_SECRET, ProviderServer


@pytest.fixture(scope="session")
def provider_server():
    with ProviderServer() as provider:
        yield provider


@pytest.fixture
def provider(provider_server):
    provider_server.nonce_override = provider_server.audience_override = None
    provider_server.omit_id_token = False
    provider_server.userinfo_claims = None
    provider_server.token_requests.clear()
    return provider_server


@pytest.fixture
def app(database_url, tmp_path, provider_server):
    """Overrides the shared ``app``: the same node, with OIDC configured."""
    application = create_app({
        **TEST_SETTINGS, "DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path / "instance"),
        "OIDC_ISSUER": provider_server.issuer, "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": CLIENT_SECRET, "OIDC_DISPLAY_NAME": "Réseau des tiers-lieux",
    })
    yield application
    _empty_all_tables(application)
    db.engine(application).dispose()


@pytest.fixture
def client(app):
    """A browser that prefers English, so tests can read the messages."""
    test_client = app.test_client()
    test_client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return test_client
