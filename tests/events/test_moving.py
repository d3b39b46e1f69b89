"""Moving a one-off event moves its date: seats and waitlist stay, people are told, SEQUENCE grows."""

from __future__ import annotations

from datetime import UTC, timedelta

import icalendar

from node.models import EventOccurrence, Registration
from tests.conftest import count_rows


def _vevent(client, event_id: int) -> icalendar.Event:
    return icalendar.Calendar.from_ical(client.get(f"/events/{event_id}.ics").data).walk("VEVENT")[0]


def test_moving_a_one_off_event_keeps_seats_and_waitlist_and_tells_them(
        client, session, make_event, manager, create_member, api_token, outbox, register_remote):
    event = make_event(capacity=1, audience="public", title="Atelier facturation")
    occurrence_id = event.occurrences[0].id
    seated, waiting = create_member(locale="fr"), create_member(locale="en")
    for member in (seated, waiting):
        assert client.post(f"/api/v1/events/occurrences/{occurrence_id}/registration",
                           headers=api_token(member)).status_code == 201
    remote = register_remote(occurrence_id)
    assert [m.to for m in outbox] == [seated.email]  # a confirmation; the waitlist is told in the portal
    outbox.clear()
    before = _vevent(client, event.id)
    new_start = (event.start_at + timedelta(days=2, hours=1)).replace(microsecond=0)

    response = client.patch(f"/api/v1/admin/events/{event.id}", headers=api_token(manager), json={
        "start_at": new_start.isoformat(), "end_at": (new_start + timedelta(hours=2)).isoformat()})

    assert response.status_code == 200, response.json
    assert [(o["id"], o["is_cancelled"]) for o in response.json["occurrences"]] == [(occurrence_id, False)]
    assert count_rows(session, EventOccurrence) == 1
    session.expire_all()
    rows = session.query(Registration).order_by(Registration.id).all()
    assert [(r.occurrence_id, r.status) for r in rows] == [
        (occurrence_id, "confirmed"), (occurrence_id, "waitlisted"), (occurrence_id, "waitlisted")]
    assert remote.id == rows[2].id
    occurrence = session.get(EventOccurrence, occurrence_id)
    assert occurrence.start_at == new_start and occurrence.original_start_at == new_start
    # Both local people are told the new time in their language; the remote one by their node.
    assert sorted(m.to for m in outbox) == sorted([seated.email, waiting.email])
    subjects = {m.to: m.subject for m in outbox}
    assert subjects[seated.email] == "Nouvel horaire\u00a0: Atelier facturation"
    assert subjects[waiting.email] == "New time: Atelier facturation"
    after = _vevent(client, event.id)
    assert after["UID"] == before["UID"] and after["STATUS"] == "CONFIRMED"
    assert after.decoded("SEQUENCE") > before.decoded("SEQUENCE")
    assert after.decoded("DTSTART").astimezone(UTC) == new_start


def test_changing_the_title_only_tells_nobody(client, session, make_event, manager, create_member, api_token, outbox, register_remote):
    event = make_event()
    client.post(f"/api/v1/events/occurrences/{event.occurrences[0].id}/registration",
                headers=api_token(create_member()))
    outbox.clear()  # their confirmations are not what this test is about
    response = client.patch(f"/api/v1/admin/events/{event.id}", json={"title": "Apéro d’automne"},
                            headers=api_token(manager))
    assert response.status_code == 200 and outbox == []


def test_a_series_keeps_its_rule_based_dates(session, make_event, manager, create_member, api_token, client):
    event = make_event(rrule="FREQ=WEEKLY;COUNT=2", type="journee_coworking")
    first = event.occurrences[0]
    client.post(f"/api/v1/events/occurrences/{first.id}/registration", headers=api_token(create_member()))
    new_start = (event.start_at + timedelta(days=1)).replace(microsecond=0)
    response = client.patch(f"/api/v1/admin/events/{event.id}", headers=api_token(manager), json={
        "start_at": new_start.isoformat(), "end_at": (new_start + timedelta(hours=2)).isoformat()})
    assert response.status_code == 200
    # The rule now produces other dates: the one with a registration is cancelled, not moved.
    dates = {o["id"]: o["is_cancelled"] for o in response.json["occurrences"]}
    assert dates[first.id] is True and list(dates.values()).count(False) == 2
