"""Fixed findings of the API fuzzing, kept as plain regression tests."""

from __future__ import annotations

from node.models import Member
from tests.conftest import count_rows


def test_an_id_too_large_for_the_database_is_a_client_error(client, create_member, api_token):
    headers = api_token(create_member(role="manager"))
    response = client.get("/api/v1/members/99999999999999999999999", headers=headers)
    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_error"


def test_a_nul_character_is_refused_without_change(client, create_member, api_token, session):
    member = create_member()
    response = client.patch("/api/v1/me", json={"headline": "bonjour\u0000"}, headers=api_token(member))
    assert response.status_code in (200, 422)  # SQLite stores it; PostgreSQL refuses it
    if response.status_code == 422:
        session.expire_all()
        assert session.get(Member, member.id).headline == ""
    assert count_rows(session, Member) == 1


def test_the_space_description_is_always_text(client):
    assert client.get("/api/v1/space").json["description"] == ""


def test_a_manager_sees_the_documented_account_fields(client, create_member, api_token):
    manager = create_member(role="manager")
    other = create_member("autre@example.org")
    body = client.get(f"/api/v1/members/{other.id}", headers=api_token(manager)).json
    assert body["email"] == "autre@example.org" and body["status"] == "active"
