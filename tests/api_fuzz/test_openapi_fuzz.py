"""Schemathesis against the node's own OpenAPI document, in process (WSGI).

Every operation gets generated valid and invalid inputs, with a manager's bearer token; each
answer must not be a server error and must match the document: a documented status code, the
documented content type and the documented response schema. Bounded for CI."""

from __future__ import annotations

import tempfile

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from node import create_app
from tests.conftest import TEST_SETTINGS

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
MAX_EXAMPLES = 20


def _documented_app():
    """The document depends on the declared routes only: no database is touched to build it."""
    instance = tempfile.mkdtemp(prefix="coworknet-openapi-")
    return create_app({**TEST_SETTINGS, "DATABASE_URL": "sqlite://", "INSTANCE_PATH": instance})


schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", _documented_app())


@pytest.fixture
def bearer(create_member, api_token) -> dict:
    """A manager with a profile (so reads return real data) and a second member to act on."""
    manager = create_member("cm-fuzz@example.org", role="manager", headline="Gérante",
                            skills=[("comptabilité", "expert")], languages=["fr", "en"])
    create_member("membre-fuzz@example.org", skills=[("menuiserie", "confirme")])
    return api_token(manager)


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case, app, bearer):
    case.call_and_validate(headers=bearer, checks=CHECKS, app=app)
