"""The events JSON API: agenda, registration, proposals, manager admin, attendees, check-ins."""

from __future__ import annotations

from datetime import datetime, timedelta

from node.models import Event, EventOccurrence, Registration, WorkshopProposal
from tests.conftest import count_rows


def _start(now: datetime, days=10) -> datetime:
    """``days`` after ``now`` (the test's clock), to the second as the API takes it."""
    return (now + timedelta(days=days)).replace(microsecond=0)


def _event_body(now: datetime, **overrides) -> dict:
    start = _start(now)
    body = {"title": "Débat : le télétravail", "type": "debat", "start_at": start.isoformat(),
            "end_at": (start + timedelta(hours=2)).isoformat(), "capacity": 2, "status": "published",
            "audience": "network", "description": "Avec <b>invités</b>"}
    body.update(overrides)
    return body


def test_manager_creates_updates_and_cancels(client, manager, api_token, session, outbox, create_member, clock):
    headers = api_token(manager)
    response = client.post("/api/v1/admin/events", json=_event_body(clock.now()), headers=headers)
    assert response.status_code == 201, response.json
    event = response.json
    assert event["occurrences"][0]["capacity"] == 2 and "<b>" not in event["description_html"]
    member = create_member()
    member_headers = api_token(member)
    occurrence_id = event["occurrences"][0]["id"]
    assert client.post(f"/api/v1/events/occurrences/{occurrence_id}/registration",
                       headers=member_headers).status_code == 201
    assert [m.to for m in outbox] == [member.email]  # her confirmation
    outbox.clear()
    response = client.patch(f"/api/v1/admin/events/{event['id']}", json={"capacity": 5, "title": "Débat"},
                            headers=headers)
    assert response.status_code == 200 and response.json["sequence"] == 1
    response = client.post(f"/api/v1/admin/events/{event['id']}/cancel", headers=headers)
    assert response.json["status"] == "cancelled"
    assert [m.to for m in outbox] == [member.email]


def test_bad_event_bodies_are_rejected_and_write_nothing(client, manager, api_token, session, clock):
    headers = api_token(manager)
    now = clock.now()
    start = _start(now)
    bad = [
        {"end_at": (start - timedelta(hours=1)).isoformat()},
        {"capacity": -1},
        {"capacity": 0},
        {"start_at": (now - timedelta(days=1)).isoformat(),  # in the past
         "end_at": (now - timedelta(days=1) + timedelta(hours=2)).isoformat()},
        {"timezone": "Europe/Atlantis"},
        {"unexpected": True},
        {"type": "rave"},
        {"rrule": "FREQ=WEEKLY;UNTIL=20270101"},
        {"venue_id": 999},
        {"host_ids": [999]},
    ]
    for change in bad:
        response = client.post("/api/v1/admin/events", json=_event_body(now, **change), headers=headers)
        assert response.status_code in (400, 422), (change, response.status_code)
        assert response.json["error"]["code"] in ("validation_error", "bad_request"), change
    assert count_rows(session, Event) == 0 and count_rows(session, EventOccurrence) == 0


def test_members_cannot_administer(client, create_member, api_token, make_event, clock):
    event = make_event()
    headers = api_token(create_member())
    assert client.post("/api/v1/admin/events", json=_event_body(clock.now()), headers=headers).status_code == 403
    assert client.patch(f"/api/v1/admin/events/{event.id}", json={"title": "x"}, headers=headers).status_code == 403
    occurrence_id = event.occurrences[0].id
    assert client.get(f"/api/v1/events/occurrences/{occurrence_id}/attendees", headers=headers).status_code == 403


def test_public_listing_and_visibility(client, create_member, api_token, make_event):
    make_event(title="Conférence publique", audience="public", type="conference")
    make_event(title="Apéro membres")
    make_event(title="Brouillon", status="draft")
    anonymous = client.get("/api/v1/events").json
    assert [e["title"] for e in anonymous["items"]] == ["Conférence publique"]
    member = client.get("/api/v1/events", headers=api_token(create_member())).json
    assert sorted(e["title"] for e in member["items"]) == ["Apéro membres", "Conférence publique"]
    assert client.get("/api/v1/events?type=nope").status_code == 422


def test_register_waitlist_cancel_confirm(client, create_member, api_token, make_event, outbox):
    occurrence_id = make_event(capacity=1).occurrences[0].id
    first, second = create_member(), create_member()
    h1, h2 = api_token(first), api_token(second)
    url = f"/api/v1/events/occurrences/{occurrence_id}/registration"
    assert client.post(url, headers=h1).json["status"] == "confirmed"
    waiting = client.post(url, headers=h2).json
    assert waiting["status"] == "waitlisted" and waiting["waitlist_position"] == 1
    again = client.post(url, headers=h2)
    assert again.status_code == 409 and again.json["error"]["code"] == "already_registered"
    assert client.delete(url, headers=h1).json["status"] == "cancelled"
    mine = client.get("/api/v1/me/registrations", headers=h2).json
    assert mine[0]["status"] == "offered" and mine[0]["offer_expires_at"]
    assert outbox[-1].to == second.email
    assert client.post(url + "/confirm", headers=h2).json["status"] == "confirmed"


def test_attendees_and_attendance(client, manager, create_member, api_token, make_event):
    occurrence_id = make_event(capacity=3).occurrences[0].id
    member = create_member(display_name="Clément Dumas")
    client.post(f"/api/v1/events/occurrences/{occurrence_id}/registration", headers=api_token(member))
    headers = api_token(manager)
    rows = client.get(f"/api/v1/events/occurrences/{occurrence_id}/attendees", headers=headers).json
    assert rows[0]["display_name"] == "Clément Dumas" and rows[0]["email"] == member.email
    response = client.put(f"/api/v1/events/registrations/{rows[0]['id']}/attendance",
                          json={"attendance": "present"}, headers=headers)
    assert response.json["attendance"] == "present"
    assert client.put(f"/api/v1/events/registrations/{rows[0]['id']}/attendance",
                      json={"attendance": "late"}, headers=headers).status_code == 422


def test_proposal_api(client, manager, create_member, api_token, session, clock):
    member = create_member()
    start = _start(clock.now(), days=15)
    body = {"title": "Atelier Canva", "start_at": start.isoformat(),
            "end_at": (start + timedelta(hours=2)).isoformat(), "capacity": 6}
    assert client.post("/api/v1/events/proposals", json={**body, "end_at": start.isoformat()},
                       headers=api_token(member)).status_code == 422
    assert count_rows(session, WorkshopProposal) == 0
    proposal = client.post("/api/v1/events/proposals", json=body, headers=api_token(member)).json
    manager_headers = api_token(manager)
    assert [p["id"] for p in client.get("/api/v1/admin/events/proposals", headers=manager_headers).json] == [proposal["id"]]
    decided = client.post(f"/api/v1/admin/events/proposals/{proposal['id']}/decision",
                          json={"decision": "approve"}, headers=manager_headers).json
    assert decided["status"] == "approved"
    event = client.get(f"/api/v1/events/{decided['event_id']}", headers=api_token(member)).json
    assert event["host_ids"] == [member.id] and event["type"] == "atelier"
    assert client.post(f"/api/v1/admin/events/proposals/{proposal['id']}/decision",
                       json={"decision": "decline"}, headers=manager_headers).status_code == 409


def test_checkins_api(client, manager, create_member, api_token):
    member = create_member(display_name="Lucie Perrin")
    headers = api_token(member)
    assert client.post("/api/v1/checkins", json={}, headers=headers).status_code == 201
    assert client.post("/api/v1/checkins", json={}, headers=headers).status_code == 409
    here = client.get("/api/v1/checkins/today", headers=headers).json
    assert [r["display_name"] for r in here] == ["Lucie Perrin"]
    other = create_member()
    assert client.post("/api/v1/checkins", json={"member_id": other.id}, headers=headers).status_code == 403
    assert client.post("/api/v1/checkins", json={"member_id": other.id, "period": "day"},
                       headers=api_token(manager)).json["period"] == "day"
    assert client.post("/api/v1/checkins/checkout", json={}, headers=headers).json["is_here"] is False


def test_openapi_documents_the_events_api(client):
    spec = client.get("/api/v1/openapi.json").json
    for path in ("/api/v1/events", "/api/v1/events/occurrences/{occurrence_id}/registration",
                 "/api/v1/admin/events", "/api/v1/checkins/today", "/api/v1/events/proposals"):
        assert path in spec["paths"], path


def test_registration_row_count_after_rejected_api_calls(client, create_member, api_token, make_event, session, clock):
    now = clock.now()
    occurrence_id = make_event(registration_closes_at=now + timedelta(hours=1),
                               now=now - timedelta(hours=2)).occurrences[0].id
    headers = api_token(create_member())
    response = client.post(f"/api/v1/events/occurrences/{occurrence_id}/registration", headers=headers)
    assert response.status_code == 201
    assert client.post("/api/v1/events/occurrences/999/registration", headers=headers).status_code == 404
    assert count_rows(session, Registration) == 1


def test_cancelling_one_date_tells_its_registrants(client, manager, create_member, api_token, make_event, outbox):
    event = make_event(rrule="FREQ=WEEKLY;COUNT=3", type="journee_coworking", title="Pop-up coworking")
    second = event.occurrences[1]
    member = create_member()
    client.post(f"/api/v1/events/occurrences/{second.id}/registration", headers=api_token(member))
    outbox.clear()  # their confirmations are not what this test is about
    response = client.patch(f"/api/v1/admin/events/occurrences/{second.id}", json={"is_cancelled": True},
                            headers=api_token(manager))
    assert response.status_code == 200 and response.json["is_cancelled"] is True
    assert [m.to for m in outbox] == [member.email] and "Pop-up coworking" in outbox[0].subject
    assert client.post(f"/api/v1/events/occurrences/{second.id}/registration",
                       headers=api_token(create_member())).status_code == 409


def test_cancelling_through_the_api_keeps_the_reason_and_refuses_a_bad_body(
        client, manager, api_token, session, outbox, create_member, clock):
    headers = api_token(manager)
    event = client.post("/api/v1/admin/events", json=_event_body(clock.now()), headers=headers).json
    member = create_member()
    occurrence_id = event["occurrences"][0]["id"]
    assert client.post(f"/api/v1/events/occurrences/{occurrence_id}/registration",
                       headers=api_token(member)).status_code == 201
    outbox.clear()
    path = f"/api/v1/admin/events/{event['id']}/cancel"
    for bad in ({"reason": "x" * 1001}, {"why": "typo"}):
        refused = client.post(path, json=bad, headers=headers)
        assert refused.status_code == 422, refused.json
    assert client.get(f"/api/v1/events/{event['id']}", headers=headers).json["status"] == "published"
    assert outbox == []  # a refused request changes nothing, tells nobody
    done = client.post(path, json={"reason": "La salle est inondée."}, headers=headers)
    assert done.status_code == 200 and done.json["status"] == "cancelled"
    assert [m.to for m in outbox] == [member.email] and "La salle est inondée." in outbox[0].body
