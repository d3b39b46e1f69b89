"""A member asks for an introduction through the API; the manager moves the queue item along."""

from __future__ import annotations

import pytest

from node.models import QueueItem
from tests.conftest import count_rows


@pytest.fixture
def manager(create_member):
    return create_member("accueil@example.org", display_name="Inès Accueil", role="manager")


def test_a_member_asks_for_an_introduction_through_the_api(client, create_member, api_token, session):
    member = create_member(display_name="Hugo Lefèvre")
    headers = api_token(member)
    response = client.post("/api/v1/connector/introductions", headers=headers,
                           json={"text": "Je cherche un comptable pour ma SAS"})
    assert response.status_code == 201
    body = response.json
    assert body["kind"] == "introduction" and body["state"] == "new"
    assert body["requester"]["display_name"] == "Hugo Lefèvre"
    item = session.get(QueueItem, body["id"])
    assert item.requester_id == member.id and item.text == "Je cherche un comptable pour ma SAS"
    assert item.concept_ids  # "comptable" is a thesaurus concept the manager's suggestions use


@pytest.mark.parametrize("payload", [{}, {"text": ""}, {"text": "x" * 1001}, {"text": "ok", "extra": 1},
                                     {"text": 42}])
def test_an_invalid_introduction_request_adds_nothing(client, create_member, api_token, session, payload):
    headers = api_token(create_member())
    response = client.post("/api/v1/connector/introductions", headers=headers, json=payload)
    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_error"
    assert count_rows(session, QueueItem) == 0


def test_an_introduction_request_needs_a_token(client, session):
    assert client.post("/api/v1/connector/introductions", json={"text": "un graphiste"}).status_code == 401
    assert count_rows(session, QueueItem) == 0


def test_the_manager_changes_a_queue_items_state(portal, client, manager, create_member, api_token, session):
    member = create_member()
    item_id = client.post("/api/v1/connector/introductions", headers=api_token(member),
                          json={"text": "Je cherche une graphiste"}).json["id"]
    portal.login(manager.email)

    response = portal.post(f"/admin/connector/queue/{item_id}/state", {"state": "matched", "note": "Vu avec Léa"})
    assert response.status_code == 302
    session.expire_all()
    item = session.get(QueueItem, item_id)
    assert item.state == "matched" and item.note == "Vu avec Léa"
    assert item.first_response_at is not None and item.resolved_at is None
    assert "Vu avec Léa" in portal.get(f"/admin/connector/queue/{item_id}").get_data(as_text=True)

    portal.post(f"/admin/connector/queue/{item_id}/state", {"state": "done", "note": ""})
    session.expire_all()
    item = session.get(QueueItem, item_id)
    assert item.state == "done" and item.resolved_at is not None
    assert item.note == "Vu avec Léa"  # an empty note keeps the previous one

    # Reopened: no longer resolved.
    portal.post(f"/admin/connector/queue/{item_id}/state", {"state": "introduced", "note": ""})
    session.expire_all()
    assert session.get(QueueItem, item_id).resolved_at is None


def test_an_unknown_state_changes_nothing(portal, client, manager, create_member, api_token, session):
    item_id = client.post("/api/v1/connector/introductions", headers=api_token(create_member()),
                          json={"text": "Je cherche un avocat"}).json["id"]
    portal.login(manager.email)
    response = portal.post(f"/admin/connector/queue/{item_id}/state", {"state": "archived", "note": "zzz"})
    assert response.status_code == 422
    session.expire_all()
    item = session.get(QueueItem, item_id)
    assert (item.state, item.note, item.first_response_at) == ("new", "", None)
    assert portal.post("/admin/connector/queue/999999/state", {"state": "done"}).status_code == 404


def test_a_member_cannot_change_a_queue_item(portal, client, create_member, api_token, session):
    member = create_member()
    item_id = client.post("/api/v1/connector/introductions", headers=api_token(member),
                          json={"text": "Je cherche un avocat"}).json["id"]
    portal.login(member.email)
    assert portal.post(f"/admin/connector/queue/{item_id}/state", {"state": "done"}).status_code == 403
    session.expire_all()
    assert session.get(QueueItem, item_id).state == "new"
