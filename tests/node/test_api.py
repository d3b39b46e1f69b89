"""The JSON API's contract: OpenAPI coverage and validity, tokens, manager operations."""

from __future__ import annotations

import re

from openapi_spec_validator import validate

from node.models import ApiToken, Invitation, Member
from tests.conftest import count_rows


def test_openapi_is_valid_and_covers_every_api_route(app, client):
    spec = client.get("/api/v1/openapi.json").json
    validate(spec)
    documented = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1") or rule.rule.endswith("openapi.json"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)  # <int:id>, <path:tag>, <name>
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method.lower()) in documented, (path, method)


def test_tokens_lifecycle(client, create_member, api_token, session):
    member = create_member()
    headers = api_token(member)
    created = client.post("/api/v1/me/tokens", json={"name": "script"}, headers=headers)
    assert created.status_code == 201 and created.json["token"].startswith("cwn_")
    new_headers = {"Authorization": f"Bearer {created.json['token']}"}
    assert client.get("/api/v1/me", headers=new_headers).status_code == 200
    listed = client.get("/api/v1/me/tokens", headers=headers).json
    assert {t["name"] for t in listed} == {"tests", "script"}
    assert all("token" not in t for t in listed)
    assert client.delete(f"/api/v1/me/tokens/{created.json['id']}", headers=headers).status_code == 200
    assert client.get("/api/v1/me", headers=new_headers).status_code == 401
    assert client.post("/api/v1/me/tokens", json={"name": ""}, headers=headers).status_code == 422
    assert count_rows(session, ApiToken) == 2


def test_manager_api_approves_and_invites(client, create_member, api_token, session):
    manager = create_member(role="manager")
    pending = create_member(status="pending")
    headers = api_token(manager)
    response = client.patch(f"/api/v1/admin/members/{pending.id}", json={"status": "active"}, headers=headers)
    assert response.status_code == 200 and response.json["status"] == "active"
    bad = client.patch(f"/api/v1/admin/members/{pending.id}", json={"status": "deleted"}, headers=headers)
    assert bad.status_code == 422
    invite = client.post("/api/v1/admin/invitations", json={"email": "new@example.org"}, headers=headers)
    assert invite.status_code == 201 and "/invitation/" in invite.json["url"]
    dup = client.post("/api/v1/admin/invitations", json={"email": pending.email}, headers=headers)
    assert dup.status_code == 409
    assert count_rows(session, Invitation) == 1
    assert count_rows(session, Member) == 2


def test_public_space_endpoint(client):
    response = client.get("/api/v1/space")
    assert response.status_code == 200 and response.json["name"] == "La Ruche du Panier"


def test_api_error_messages_speak_the_readers_language(client, create_member, api_token):
    """The code is the stable identifier; the message is for a person, in French unless the
    client asks for English."""
    manager = create_member(role="manager")
    pending = create_member(status="pending")
    headers = api_token(manager)
    body = {"email": pending.email}
    french = client.post("/api/v1/admin/invitations", json=body, headers=headers)
    english = client.post("/api/v1/admin/invitations", json=body,
                          headers={**headers, "Accept-Language": "en-GB,en;q=0.9"})
    assert french.status_code == english.status_code == 409
    assert french.json["error"]["code"] == english.json["error"]["code"] == "conflict"
    assert english.json["error"]["message"] == "An account with this email already exists."
    assert french.json["error"]["message"] == "Un compte existe déjà avec cette adresse e-mail."
