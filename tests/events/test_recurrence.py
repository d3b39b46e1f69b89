"""Series: RRULE expanded in the event's zone across DST, per-date changes, rotating venues."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from node.errors import ValidationError
from node.events import events, registrations
from node.events.registrations import Registrant
from node.models import Event, EventOccurrence, Registration
from tests.conftest import count_rows

PARIS = ZoneInfo("Europe/Paris")
MONTREAL = ZoneInfo("America/Montreal")
NOW = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)


def test_weekly_thursday_stays_at_nine_across_the_october_change(make_event):
    event = make_event(now=NOW, title="Petit-déj coworking", type="journee_coworking",
                       start_at=datetime(2026, 10, 15, 9, 0), end_at=datetime(2026, 10, 15, 17, 0),
                       timezone="Europe/Paris", rrule="FREQ=WEEKLY;BYDAY=TH;COUNT=4")
    starts = [o.start_at for o in event.occurrences]
    assert [s.astimezone(PARIS).strftime("%a %d %H:%M") for s in starts] == [
        "Thu 15 09:00", "Thu 22 09:00", "Thu 29 09:00", "Thu 05 09:00"]
    # Paris leaves summer time on 25 October 2026: UTC hours move from 7 to 8.
    assert [s.hour for s in starts] == [7, 7, 8, 8]
    assert all(o.end_at - o.start_at == timedelta(hours=8) for o in event.occurrences)


def test_montreal_series_follows_its_own_change(make_event):
    event = make_event(now=NOW, start_at=datetime(2026, 10, 29, 18, 30), end_at=datetime(2026, 10, 29, 20, 0),
                       timezone="America/Montreal", rrule="FREQ=WEEKLY;COUNT=2")
    # Montréal changes on 1 November, a week after Paris.
    assert [o.start_at.astimezone(MONTREAL).hour for o in event.occurrences] == [18, 18]
    assert [o.start_at.hour for o in event.occurrences] == [22, 23]


def test_per_date_change_cancellation_and_capacity(session, make_event, create_member, manager):
    event = make_event(now=NOW, start_at=datetime(2026, 10, 15, 18, 0), end_at=datetime(2026, 10, 15, 20, 0),
                       rrule="FREQ=WEEKLY;COUNT=3", capacity=1)
    first, second, third = event.occurrences
    events.update_occurrence(session, second, {"start_at": datetime(2026, 10, 23, 19, 0),
                                               "end_at": datetime(2026, 10, 23, 21, 0), "capacity": 2}, NOW)
    events.update_occurrence(session, third, {"is_cancelled": True}, NOW)
    session.commit()
    assert second.start_at.astimezone(PARIS).strftime("%d %H:%M") == "23 19:00" and second.capacity == 2
    # A later change of the series keeps the per-date change.
    events.update_event(session, manager, event, {"title": "Soirée jeux"}, NOW)
    session.commit()
    assert second.start_at.astimezone(PARIS).hour == 19 and second.is_modified
    member = create_member()
    with pytest.raises(Exception, match="not open"):
        registrations.register(session, third.id, Registrant.local(member), NOW, viewer=member)
    session.rollback()
    for person in (member, create_member()):
        registrations.register(session, second.id, Registrant.local(person), NOW, viewer=person)
    session.commit()
    assert registrations.seats_taken(session, second.id) == 2
    assert registrations.seats_taken(session, first.id) == 0


def test_rotating_venues(session, make_event):
    venues = [events.create_venue(session, {"name": name, "kind": "external", "address": address})
              for name, address in [("Tiers-lieu du Port", "Quai 1"), ("Médiathèque", "Rue 2"),
                                    ("Café associatif", "Place 3")]]
    session.commit()
    event = make_event(now=NOW, type="journee_coworking", start_at=datetime(2026, 10, 6, 9, 0),
                       end_at=datetime(2026, 10, 6, 17, 0), rrule="FREQ=WEEKLY;BYDAY=TU;COUNT=5",
                       rotation_venue_ids=[v.id for v in venues])
    assert [o.venue.name for o in event.occurrences] == [
        "Tiers-lieu du Port", "Médiathèque", "Café associatif", "Tiers-lieu du Port", "Médiathèque"]


def test_open_ended_series_is_bounded_and_extended(session, make_event):
    event = make_event(now=NOW, start_at=datetime(2026, 10, 5, 9, 0), end_at=datetime(2026, 10, 5, 12, 0),
                       rrule="FREQ=WEEKLY")
    count = len(event.occurrences)
    assert 25 <= count <= 27  # about 180 days ahead
    events.extend_series(session, NOW + timedelta(days=28))
    session.commit()
    assert len(event.occurrences) == count + 4


@pytest.mark.parametrize("rule", ["FREQ=SECONDLY", "NONSENSE", "FREQ=WEEKLY;BYDAY=XX",
                                  "FREQ=WEEKLY;UNTIL=20261231", "DTSTART:20260101T000000\nRRULE:FREQ=DAILY"])
def test_bad_rules_write_nothing(session, manager, rule):
    with pytest.raises(ValidationError):
        events.create_event(session, manager, {"title": "X", "type": "autre", "start_at": datetime(2026, 10, 6, 9),
                                               "end_at": datetime(2026, 10, 6, 10), "rrule": rule}, NOW)
    session.rollback()
    assert count_rows(session, Event) == 0 and count_rows(session, EventOccurrence) == 0


def test_dates_dropped_from_a_rule_are_cancelled_when_people_registered(session, make_event, create_member, manager):
    event = make_event(now=NOW, start_at=datetime(2026, 10, 6, 9), end_at=datetime(2026, 10, 6, 10),
                       rrule="FREQ=WEEKLY;COUNT=3")
    last = event.occurrences[-1]
    member = create_member()
    registrations.register(session, last.id, Registrant.local(member), NOW, viewer=member)
    events.update_event(session, manager, event, {"rrule": "FREQ=WEEKLY;COUNT=1"}, NOW)
    session.commit()
    assert len(event.occurrences) == 2 and event.occurrences[-1].is_cancelled
    assert count_rows(session, Registration) == 1
