"""iCalendar round trip: what we serve parses back with ``icalendar`` at the right local times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar

from node.events import events, ical, registrations
from node.events.registrations import Registrant

NOW = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)


def _parse(body: bytes) -> icalendar.Calendar:
    calendar = icalendar.Calendar.from_ical(body)
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    return calendar


def test_one_event_in_paris_and_one_in_montreal(client, make_event, clock):
    clock.pin(NOW)  # fixed dates: the time zones around a fixed day are the point
    paris = make_event(title="Apéro", start_at=datetime(2026, 12, 3, 18, 30), end_at=datetime(2026, 12, 3, 20, 30),
                       audience="public", description="Venez **nombreux**")
    montreal = make_event(title="5 à 7 à Montréal", type="cinq_a_sept", start_at=datetime(2026, 12, 3, 17, 0),
                          end_at=datetime(2026, 12, 3, 19, 0), timezone="America/Montreal", audience="public")
    for event, zone, hour in ((paris, "Europe/Paris", 18), (montreal, "America/Montreal", 17)):
        response = client.get(f"/events/{event.id}.ics")
        assert response.status_code == 200 and response.mimetype == "text/calendar"
        calendar = _parse(response.data)
        assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == [zone]
        (vevent,) = calendar.walk("VEVENT")
        start = vevent.decoded("DTSTART")
        assert vevent["DTSTART"].params["TZID"] == zone
        assert start.hour == hour and str(start.tzinfo) == zone
        assert vevent["UID"] == event.uid and vevent["STATUS"] == "CONFIRMED"
    # 18:30 in Paris and 17:00 in Montréal are 17:30 and 22:00 UTC.
    assert _parse(client.get(f"/events/{paris.id}.ics").data).walk("VEVENT")[0].decoded("DTSTART").astimezone(UTC).hour == 17
    assert _parse(client.get(f"/events/{montreal.id}.ics").data).walk("VEVENT")[0].decoded("DTSTART").astimezone(UTC).hour == 22


def test_cancelled_event_has_status_and_a_higher_sequence(client, session, make_event, manager, clock):
    event = make_event(audience="public")
    before = _parse(client.get(f"/events/{event.id}.ics").data).walk("VEVENT")[0]
    events.cancel_event(session, manager, event, clock.now())
    session.commit()
    after = _parse(client.get(f"/events/{event.id}.ics").data).walk("VEVENT")[0]
    assert after["STATUS"] == "CANCELLED" and after["UID"] == before["UID"]
    assert after.decoded("SEQUENCE") > before.decoded("SEQUENCE")


def test_series_with_exdate_and_override_expands_correctly(session, make_event):
    venue = events.create_venue(session, {"name": "Médiathèque", "kind": "external", "address": "Rue 2"})
    event = make_event(now=NOW, start_at=datetime(2026, 10, 15, 9, 0), end_at=datetime(2026, 10, 15, 17, 0),
                       rrule="FREQ=WEEKLY;BYDAY=TH;COUNT=4", audience="public", type="journee_coworking")
    _first, second, third, _fourth = event.occurrences
    events.update_occurrence(session, second, {"is_cancelled": True}, NOW)
    events.update_occurrence(session, third, {"venue_id": venue.id, "start_at": datetime(2026, 10, 29, 10, 0),
                                              "end_at": datetime(2026, 10, 29, 18, 0)}, NOW)
    session.commit()
    calendar = _parse(ical.event_ics(event, "http://coworknet.test"))
    master, override = calendar.walk("VEVENT")
    assert master["RRULE"].to_ical() == b"FREQ=WEEKLY;COUNT=4;BYDAY=TH"
    exdates = [d.dt for d in master["EXDATE"].dts]
    assert [d.astimezone(ZoneInfo("Europe/Paris")).strftime("%d %H:%M") for d in exdates] == ["22 09:00"]
    assert override["UID"] == master["UID"]
    assert override.decoded("RECURRENCE-ID").strftime("%d %H:%M") == "29 09:00"
    assert override.decoded("DTSTART").strftime("%d %H:%M %Z") == "29 10:00 CET"
    assert "Médiathèque" in str(override["LOCATION"])


def test_public_agenda_feed_lists_only_public_events(client, make_event):
    public = make_event(title="Conférence ouverte", audience="public", type="conference")
    make_event(title="Apéro des membres", audience="space")
    make_event(title="Brouillon public", audience="public", status="draft")
    calendar = _parse(client.get("/events/agenda.ics").data)
    assert [str(v["SUMMARY"]) for v in calendar.walk("VEVENT")] == [public.title]


def test_personal_feed_behind_a_revocable_token(app, client, session, make_event, create_member, clock):
    member = create_member()
    event = make_event(title="Atelier compta", type="atelier", capacity=1)
    other = create_member()
    registrations.register(session, event.occurrences[0].id, Registrant.local(other), clock.now(), viewer=other)
    registrations.register(session, event.occurrences[0].id, Registrant.local(member), clock.now(),
                           viewer=member)
    token = ical.regenerate_feed_token(session, member)
    session.commit()
    response = client.get(f"/events/feed/{token}.ics")
    (vevent,) = _parse(response.data).walk("VEVENT")
    assert str(vevent["SUMMARY"]) == "Atelier compta" and vevent["STATUS"] == "TENTATIVE"  # waitlisted
    new_token = ical.regenerate_feed_token(session, member)
    session.commit()
    assert client.get(f"/events/feed/{token}.ics").status_code == 404
    assert client.get(f"/events/feed/{new_token}.ics").status_code == 200
    ical.revoke_feed_token(session, member)
    session.commit()
    assert client.get(f"/events/feed/{new_token}.ics").status_code == 404


def test_space_only_event_ics_needs_a_member(client, make_event, clock):
    event = make_event(audience="space", start_at=clock.now() + timedelta(days=3))
    assert client.get(f"/events/{event.id}.ics").status_code == 404
