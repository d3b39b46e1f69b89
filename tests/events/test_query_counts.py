"""The agenda, an event page and the API's agenda run a constant number of SQL statements:
seats taken, waitlist lengths and "am I registered" come from grouped queries, not one query
per event and per date."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event as sa_event

from node.db import db
from node.events import registrations
from node.events.registrations import Registrant


@contextmanager
def counted(app):
    """Count the statements the app's engine runs inside the block (``box[0]``)."""
    engine = db.engine(app)
    box = [0]

    def count(*_args):
        box[0] += 1

    sa_event.listen(engine, "before_cursor_execute", count)
    try:
        yield box
    finally:
        sa_event.remove(engine, "before_cursor_execute", count)


@pytest.fixture
def agenda_of(session, make_event, manager, create_member, clock, register_remote):
    """Factory: ``add(n)`` adds n events (every third full with a waitlist, every fourth a weekly
    series, the member registered for some), so the pages have every badge to show."""
    member = create_member("lea@example.org", display_name="Léa Martin")
    others = [create_member(f"autre{i}@example.org") for i in range(3)]
    made = []

    def add(count: int):
        for _ in range(count):
            index = len(made)
            start = clock.now() + timedelta(days=2 + index % 40, hours=index % 5)
            extra = {"rrule": "FREQ=WEEKLY;COUNT=6"} if index % 4 == 3 else {}
            event = make_event(title=f"Événement {index}", start_at=start,
                               capacity=1 if index % 3 == 0 else 10, audience="public", **extra)
            occurrence = event.occurrences[0]
            for person in ([others[0], others[1]] if index % 3 == 0 else [others[2]]):
                registrations.register(session, occurrence.id, Registrant.local(person), clock.now(),
                                       viewer=person)
            if index % 2 == 0:
                registrations.register(session, occurrence.id, Registrant.local(member), clock.now(),
                                       viewer=member)
            session.commit()
            if index % 5 == 0:
                register_remote(occurrence.id, name=f"Zoé {index}")
            made.append(event)
        return made

    add.member = member
    return add


def _statements(app, fetch) -> int:
    with counted(app) as box:
        response = fetch()
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return box[0]


def test_agenda_pages_and_api_do_not_grow_with_the_number_of_events(app, portal, api_token, agenda_of):
    portal.login(agenda_of.member.email)
    headers = api_token(agenda_of.member)
    series = {}

    def measure():
        events = agenda_of(0)
        series["id"] = next(e.id for e in events if e.rrule)
        return {
            "agenda": _statements(app, lambda: portal.get("/events")),
            "month": _statements(app, lambda: portal.get(
                "/events?view=month&month=" + events[0].start_at.strftime("%Y-%m"))),
            "api": _statements(app, lambda: portal.get("/api/v1/events?limit=200", headers=headers)),
            "series page": _statements(app, lambda: portal.get(f"/events/{series['id']}")),
            "api event": _statements(app, lambda: portal.get(f"/api/v1/events/{series['id']}",
                                                              headers=headers)),
        }

    agenda_of(5)
    few = measure()
    agenda_of(45)
    many = measure()
    for page, count in many.items():
        assert count <= few[page], f"{page}: {few[page]} statements for 5 events, {count} for 50"
    # A page's whole work, session and member lookups included, is a handful of statements.
    assert max(many.values()) <= 15, many


def test_who_is_here_api_does_not_grow_with_the_people_present(app, client, manager, create_member, api_token):
    headers = api_token(manager)
    present = []

    def arrive(count: int) -> None:
        for _ in range(count):
            member = create_member(display_name=f"Présente {len(present)}")
            response = client.post("/api/v1/checkins", json={"member_id": member.id, "period": "day"},
                                   headers=headers)
            assert response.status_code == 201, response.json
            present.append(member.display_name)

    def measure() -> int:
        with counted(app) as box:
            response = client.get("/api/v1/checkins/today", headers=headers)
        assert response.status_code == 200
        assert sorted(r["display_name"] for r in response.json) == sorted(present)
        assert all(r["is_here"] for r in response.json)
        return box[0]

    arrive(2)
    few = measure()
    arrive(10)
    many = measure()
    assert many <= few, f"{few} statements for 2 people present, {many} for 12"
