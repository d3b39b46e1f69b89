"""The manager edits an event and adds venues (portal and API); a declined workshop proposal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from node.models import Event, EventOccurrence, Venue, WorkshopProposal
from tests.conftest import count_rows


def _local(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M")


def _future(now: datetime, days: int, hour: int) -> datetime:
    """A naive wall-clock time ``days`` after ``now`` (the test's clock), as a form sends it."""
    day = (now + timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, hour, 0)


def _edit_form(event: Event, now: datetime, **overrides) -> dict:
    start = _future(now, 12, 18)
    form = {"title": event.title, "type": event.type, "description": event.description or "",
            "start_at": _local(start), "end_at": _local(start + timedelta(hours=2)), "timezone": "Europe/Paris",
            "venue_id": "", "address": "", "capacity": "20", "registration_opens_at": "",
            "registration_closes_at": "", "price_info": "", "audience": "space", "status": "published",
            "rrule": ""}
    form.update(overrides)
    return form


def test_manager_edits_an_event_in_the_portal(portal, manager, make_event, session, clock):
    event = make_event()
    portal.login(manager.email)
    assert "Apéro de rentrée" in portal.get(f"/events/admin/{event.id}/edit").get_data(as_text=True)
    response = portal.post(f"/events/admin/{event.id}/edit",
                           _edit_form(event, clock.now(), title="Apéro de Noël", capacity="15"))
    assert response.status_code == 302
    session.expire_all()
    event = session.get(Event, event.id)
    start = _future(clock.now(), 12, 18)
    assert event.title == "Apéro de Noël" and event.capacity == 15
    occurrence = session.query(EventOccurrence).filter_by(event_id=event.id).one()
    # 18:00 in Paris is 17:00 UTC in winter and 16:00 UTC in summer.
    assert occurrence.start_at.astimezone(UTC).hour in (16, 17)
    assert occurrence.start_at.date() == start.date()
    assert "Apéro de Noël" in portal.get(response.headers["Location"]).get_data(as_text=True)


def test_an_invalid_edit_changes_nothing(portal, manager, make_event, session, clock):
    event = make_event()
    before = (event.title, event.start_at, event.end_at, event.capacity, event.sequence)
    portal.login(manager.email)
    start = _future(clock.now(), 12, 18)
    response = portal.post(f"/events/admin/{event.id}/edit",
                           _edit_form(event, clock.now(), title="Changé", end_at=_local(start - timedelta(hours=1))))
    assert response.status_code == 422
    assert "Changé" in response.get_data(as_text=True)  # the form is shown again with the input
    session.expire_all()
    event = session.get(Event, event.id)
    assert (event.title, event.start_at, event.end_at, event.capacity, event.sequence) == before
    assert count_rows(session, EventOccurrence) == 1


def test_a_member_cannot_edit_an_event(portal, create_member, make_event, session, clock):
    event = make_event()
    member = create_member()
    portal.login(member.email)
    assert portal.post(f"/events/admin/{event.id}/edit", _edit_form(event, clock.now(), title="Piraté")).status_code == 403
    session.expire_all()
    assert session.get(Event, event.id).title == "Apéro de rentrée"


def test_manager_adds_a_venue_in_the_portal(portal, manager, session):
    portal.login(manager.email)
    response = portal.post("/events/admin/venues", {"name": "Salle Calanques", "kind": "room",
                                                    "address": "", "capacity": "18"})
    assert response.status_code == 302
    venue = session.query(Venue).one()
    assert (venue.name, venue.kind, venue.capacity) == ("Salle Calanques", "room", 18)
    assert "Salle Calanques" in portal.get("/events/admin").get_data(as_text=True)
    # A nameless venue is refused and nothing is added.
    response = portal.post("/events/admin/venues", {"name": " ", "kind": "room", "address": "Quai 3", "capacity": ""},
                           headers={"Referer": "http://coworknet.test/events/admin"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="Quai 3"' in html and 'id="name-error"' in html  # the admin page, as typed
    assert count_rows(session, Venue) == 1


def test_manager_adds_a_venue_through_the_api(client, manager, create_member, api_token, session):
    headers = api_token(manager)
    response = client.post("/api/v1/admin/venues", headers=headers,
                           json={"name": "Le Vieux-Port", "kind": "external", "address": "1 quai du Port, Marseille"})
    assert response.status_code == 201
    assert response.json["name"] == "Le Vieux-Port"
    venue = session.get(Venue, response.json["id"])
    assert venue.kind == "external" and venue.address == "1 quai du Port, Marseille"
    listed = client.get("/api/v1/admin/venues", headers=headers).json
    assert [v["name"] for v in listed] == ["Le Vieux-Port"]
    # Invalid input and a member's request leave the venues as they are.
    assert client.post("/api/v1/admin/venues", headers=headers,
                       json={"name": "Salle", "kind": "castle"}).status_code == 422
    assert client.post("/api/v1/admin/venues", headers=headers,
                       json={"name": "Salle", "surprise": 1}).status_code == 422
    member_headers = api_token(create_member())
    assert client.post("/api/v1/admin/venues", headers=member_headers,
                       json={"name": "Salle du membre"}).status_code == 403
    assert count_rows(session, Venue) == 1


def test_a_declined_proposal_tells_the_member_and_stays_declined(portal, manager, create_member, session, outbox, clock):
    member = create_member(display_name="Nadia Belkacem")
    portal.login(member.email)
    start = _future(clock.now(), 20, 14)
    form = {"title": "Initiation à Figma", "type": "atelier", "description": "Les bases.",
            "start_at": _local(start), "end_at": _local(start + timedelta(hours=2)),
            "timezone": "Europe/Paris", "capacity": "8", "message": ""}
    assert portal.post("/events/propose", form).status_code == 302
    proposal = session.query(WorkshopProposal).one()
    portal.post("/logout")

    portal.login(manager.email)
    response = portal.post(f"/events/admin/proposals/{proposal.id}",
                           {"decision": "decline", "comment": "Pas ce trimestre, désolée.",
                            "audience": "space", "venue_id": ""})
    assert response.status_code == 302
    session.refresh(proposal)
    assert proposal.status == "declined" and proposal.decided_by_id == manager.id
    mail = outbox[-1]
    assert mail.to == member.email and "Initiation à Figma" in mail.subject
    assert "Pas ce trimestre, désolée." in mail.body and "refusé" in mail.body
    # The declined proposal leaves the queue and cannot be approved afterwards.
    assert "Initiation à Figma" not in portal.get("/events/admin").get_data(as_text=True)
    sent = len(outbox)
    response = portal.post(f"/events/admin/proposals/{proposal.id}",
                           {"decision": "approve", "comment": "", "audience": "space", "venue_id": ""})
    assert response.status_code == 409
    session.refresh(proposal)
    assert proposal.status == "declined" and proposal.event_id is None
    assert count_rows(session, Event) == 0 and len(outbox) == sent
    portal.post("/logout")

    # Nor can the author revive it by editing it.
    portal.login(member.email)
    form["title"] = "Figma, deuxième essai"
    assert portal.post(f"/events/proposals/{proposal.id}", form).status_code == 409
    session.refresh(proposal)
    assert proposal.status == "declined" and proposal.title == "Initiation à Figma"
