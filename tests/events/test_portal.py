"""The portal: agenda, event page, registration with waitlist, proposals, admin, access control."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from node.events import registrations
from node.models import Event, EventOccurrence, Registration, WorkshopProposal
from tests.conftest import count_rows


def _future(now: datetime, days=10, hour=18, minute=30) -> datetime:
    """A naive wall-clock time ``days`` after ``now`` (the test's clock), as a form sends it."""
    day = (now + timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, hour, minute)


def _local(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M")


def _event_form(now: datetime, **overrides) -> dict:
    start = _future(now)
    form = {"title": "Atelier « Facturer sereinement »", "type": "atelier", "description": "Un atelier **pratique**.",
            "start_at": _local(start), "end_at": _local(start + timedelta(hours=2)), "timezone": "Europe/Paris",
            "venue_id": "", "address": "", "capacity": "12", "registration_opens_at": "",
            "registration_closes_at": "", "price_info": "Gratuit pour les membres", "audience": "space",
            "status": "published", "rrule": ""}
    form.update(overrides)
    return form


def test_manager_creates_an_event_shown_with_french_dates(portal, manager, session, clock):
    clock.pin(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))  # the wording of a fixed date is the point
    portal.login(manager.email)
    start = datetime(2026, 12, 3, 18, 30)
    response = portal.post("/events/admin/new", _event_form(clock.now(), start_at=_local(start),
                                                            end_at=_local(start + timedelta(hours=2))))
    assert response.status_code == 302
    event = session.query(Event).one()
    assert event.start_at == datetime(2026, 12, 3, 17, 30, tzinfo=UTC)
    page = portal.get(response.headers["Location"]).get_data(as_text=True)
    assert "jeudi 3 décembre 2026 à 18:30" in page
    assert "<strong>pratique</strong>" in page


# Dates are relative to the test's now (the form's start is ten days ahead).
@pytest.mark.parametrize("field, value, message", [
    ("end_at", lambda now: _local(_future(now, days=9, hour=10, minute=0)), "end"),  # before the start
    ("capacity", "-3", "capacity"),
    ("start_at", lambda now: _local(_future(now, days=-1, hour=10, minute=0)), "start_at"),  # past
    ("timezone", "Mars/Olympus", "timezone"),
    ("type", "rave", "type"),
    ("rrule", "FREQ=EVERY", "rrule"),
], ids=["end-before-start", "capacity", "start-in-the-past", "timezone", "type", "rrule"])
def test_bad_event_input_writes_nothing(portal, manager, session, clock, field, value, message):
    portal.login(manager.email)
    now = clock.now()
    form = _event_form(now, **{field: value(now) if callable(value) else value})
    if field == "start_at":
        form["end_at"] = _local(_future(now, days=-1, hour=12, minute=0))
    response = portal.post("/events/admin/new", form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in page or 'class="field-error"' in page
    assert count_rows(session, Event) == 0 and count_rows(session, EventOccurrence) == 0


def test_a_rejected_event_form_is_shown_again_as_typed(portal, manager, session, create_member, clock):
    """The shared form helper end to end: several hosts (a multi-value field), blank optional
    fields, one bad value; the page comes back with every typed value and the one error."""
    host = create_member(display_name="Yasmine Host")
    portal.login(manager.email)
    form = _event_form(clock.now(), capacity="-3", price_info="5 € la soirée",
                       host_ids=[str(manager.id), str(host.id)])
    response = portal.post("/events/admin/new", form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="Atelier « Facturer sereinement »"' in page and "Un atelier **pratique**." in page
    assert 'value="5 € la soirée"' in page and f'value="{form["start_at"]}"' in page
    assert re.search(r'name="capacity" type="number" value="-3"\s+aria-invalid="true"', page)
    assert re.search(r'name="title" type="text" value="Atelier « Facturer sereinement »"\s+required\s+>', page)
    for member in (manager, host):
        assert re.search(rf'name="host_ids" value="{member.id}" checked', page)
    assert count_rows(session, Event) == 0 and count_rows(session, EventOccurrence) == 0
    # The same form without its CSRF token is refused before any validation.
    fixed = dict(form, capacity="12", csrf_token="")
    assert portal.post("/events/admin/new", fixed).status_code == 400
    assert count_rows(session, Event) == 0
    # Corrected, it is saved with the blank optional fields as "none" and both hosts.
    assert portal.post("/events/admin/new", dict(form, capacity="12")).status_code == 302
    event = session.query(Event).one()
    assert event.capacity == 12 and event.rrule is None and event.venue_id is None
    assert sorted(event.host_ids) == sorted([manager.id, host.id])


def test_script_in_the_description_is_neutralised(portal, manager, client, session, clock):
    portal.login(manager.email)
    evil = '<script>alert(1)</script> [clic](javascript:alert(2)) <img src=x onerror=alert(3)> **ok**'
    response = portal.post("/events/admin/new", _event_form(clock.now(), description=evil))
    page = portal.get(response.headers["Location"]).get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;" in page  # shown as text
    assert 'href="javascript:' not in page and "<img" not in page
    assert "<strong>ok</strong>" in page


def test_full_event_waitlist_and_promotion_through_the_portal(app, portal, session, make_event, create_member, outbox):
    event = make_event(capacity=1, title="Soirée jeux", type="soiree_jeux")
    occurrence = event.occurrences[0]
    first, second = create_member(display_name="Camille"), create_member(display_name="Julien", locale="fr")
    portal.login(first.email)
    portal.post(f"/events/occurrences/{occurrence.id}/register")
    portal.post("/logout")
    portal.login(second.email)
    response = portal.post(f"/events/occurrences/{occurrence.id}/register", follow_redirects=True)
    assert "liste d’attente" in response.get_data(as_text=True) or "waitlist" in response.get_data(as_text=True)
    page = portal.get(f"/events/{event.id}").get_data(as_text=True)
    assert "position 1" in page
    portal.post("/logout")
    portal.login(first.email)
    assert [m.to for m in outbox] == [first.email]  # her confirmation; Julien waits in the portal
    outbox.clear()
    portal.post(f"/events/occurrences/{occurrence.id}/cancel", {"confirm": "1"})
    assert [m.to for m in outbox] == [second.email]
    assert "Soirée jeux" in outbox[0].subject and f"/events/{event.id}" in outbox[0].body
    portal.post("/logout")
    portal.login(second.email)
    page = portal.get(f"/events/{event.id}").get_data(as_text=True)
    assert "Confirm my seat" in page or "Confirmer ma place" in page
    portal.post(f"/events/occurrences/{occurrence.id}/confirm")
    mine = registrations.member_registration(session, occurrence.id, second)
    assert mine.status == "confirmed"
    # Registering twice changes nothing.
    assert portal.post(f"/events/occurrences/{occurrence.id}/register").status_code == 409
    assert count_rows(session, Registration) == 2


def test_agenda_list_and_month_view(portal, create_member, make_event, clock):
    start = clock.now() + timedelta(days=3)
    make_event(title="Dégustation de vins nature", type="degustation", start_at=start, audience="public")
    make_event(title="Apéro des membres", start_at=start)
    anonymous = portal.get("/events").get_data(as_text=True)
    assert "Dégustation de vins nature" in anonymous and "Apéro des membres" not in anonymous
    member = create_member()
    portal.login(member.email)
    listing = portal.get("/events").get_data(as_text=True)
    assert "Apéro des membres" in listing
    # The month grid is in the space's time zone: the event's month there (not in UTC).
    month = portal.get(f"/events?view=month&month={start.astimezone(ZoneInfo('Europe/Paris')):%Y-%m}")
    assert month.status_code == 200 and "Apéro des membres" in month.get_data(as_text=True)
    # Drawn by the server: no script but the menu's (which only folds the menu on a phone).
    assert re.findall(r"<script[^>]*>", month.get_data(as_text=True)) == ['<script src="/static/menu.js" defer>']
    assert portal.get("/events?view=month&month=2026-13").status_code == 200  # falls back, flashes


def test_access_control(portal, client, create_member, make_event, session):
    member = create_member()
    draft = make_event(status="draft", title="Projet secret")
    space_only = make_event(audience="space")
    assert client.get(f"/events/{space_only.id}").status_code == 404
    portal.login(member.email)
    assert portal.get(f"/events/{draft.id}").status_code == 404
    assert portal.get("/events/admin").status_code == 403
    assert portal.get(f"/events/admin/occurrences/{space_only.occurrences[0].id}").status_code == 403
    assert portal.get(f"/events/admin/occurrences/{space_only.occurrences[0].id}/attendees.csv").status_code == 403
    assert portal.post(f"/events/admin/{space_only.id}/cancel").status_code == 403
    assert portal.post("/events/here/checkin", {"member_id": "1"}).status_code == 403
    session.refresh(space_only)
    assert space_only.status == "published"


def test_attendees_csv_and_attendance(portal, manager, session, make_event, create_member, clock):
    event = make_event(capacity=5, title="Formation RGPD", type="formation")
    occurrence = event.occurrences[0]
    person = create_member(display_name="Aurélie Chevalier")
    registrations.register(session, occurrence.id, registrations.Registrant.local(person), clock.now(),
                           viewer=person)
    session.commit()
    portal.login(manager.email)
    page = portal.get(f"/events/admin/occurrences/{occurrence.id}").get_data(as_text=True)
    assert "Aurélie Chevalier" in page
    registration = session.query(Registration).one()
    portal.post(f"/events/admin/registrations/{registration.id}/attendance", {"attendance": "no_show"})
    session.refresh(registration)
    assert registration.attendance == "no_show"
    assert portal.post(f"/events/admin/registrations/{registration.id}/attendance",
                       {"attendance": "maybe"}).status_code == 422
    response = portal.get(f"/events/admin/occurrences/{occurrence.id}/attendees.csv")
    assert response.mimetype == "text/csv" and response.data.startswith(b"\xef\xbb\xbf")
    text = response.data.decode("utf-8-sig")
    assert "Aurélie Chevalier" in text.splitlines()[1] and "Nom" in text.splitlines()[0]


def test_workshop_proposal_flow(portal, manager, session, create_member, outbox, clock):
    member = create_member(display_name="Nadia Belkacem")
    portal.login(member.email)
    start = _future(clock.now(), days=20, hour=14, minute=0)
    form = {"title": "Initiation à Figma", "type": "atelier", "description": "Les bases.",
            "start_at": _local(start), "end_at": _local(start), "timezone": "Europe/Paris", "capacity": "8",
            "message": ""}
    assert portal.post("/events/propose", form).status_code == 422
    assert count_rows(session, WorkshopProposal) == 0
    form["end_at"] = _local(start + timedelta(hours=2))
    response = portal.post("/events/propose", form)
    assert response.status_code == 302
    proposal = session.query(WorkshopProposal).one()
    portal.post("/logout")
    portal.login(manager.email)
    assert "Initiation à Figma" in portal.get("/events/admin").get_data(as_text=True)
    # Asking for changes needs a comment.
    assert portal.post(f"/events/admin/proposals/{proposal.id}", {"decision": "request_changes",
                       "comment": "", "audience": "space", "venue_id": ""}).status_code == 422
    portal.post(f"/events/admin/proposals/{proposal.id}", {"decision": "request_changes",
                "comment": "Peux-tu prévoir 3 h ?", "audience": "space", "venue_id": ""})
    session.refresh(proposal)
    assert proposal.status == "changes_requested" and outbox[-1].to == member.email
    portal.post("/logout")
    portal.login(member.email)
    form["end_at"] = _local(start + timedelta(hours=3))
    portal.post(f"/events/proposals/{proposal.id}", form)
    session.refresh(proposal)
    assert proposal.status == "pending"
    portal.post("/logout")
    portal.login(manager.email)
    portal.post(f"/events/admin/proposals/{proposal.id}", {"decision": "approve", "comment": "Top !",
                "audience": "network", "venue_id": ""})
    session.refresh(proposal)
    event = session.get(Event, proposal.event_id)
    assert proposal.status == "approved" and event.status == "published" and event.host_ids == [member.id]
    assert event.end_at - event.start_at == timedelta(hours=3)
    # The host sees the attendee list of their workshop.
    portal.post("/logout")
    portal.login(member.email)
    assert portal.get(f"/events/admin/occurrences/{event.occurrences[0].id}").status_code == 200


def test_checkin_and_who_is_here(portal, manager, session, create_member):
    member = create_member(display_name="Thomas Girard")
    portal.login(member.email)
    portal.post("/events/here/checkin", {"period": ""})
    page = portal.get("/events/here").get_data(as_text=True)
    assert "Thomas Girard" in page
    assert portal.post("/events/here/checkin", {"period": ""}).status_code == 409
    portal.post("/events/here/checkout", {})
    portal.post("/logout")
    portal.login(manager.email)
    other = create_member(display_name="Margot Besson")
    portal.post("/events/here/checkin", {"member_id": str(other.id), "period": "day"})
    page = portal.get("/events/here").get_data(as_text=True)
    assert "Margot Besson" in page


def test_personal_feed_link_is_shown_once(portal, create_member):
    member = create_member()
    portal.login(member.email)
    page = portal.post("/events/mine/feed").get_data(as_text=True)
    url = re.search(r'value="(http://coworknet.test/events/feed/[^"]+\.ics)"', page).group(1)
    assert portal.get(url.replace("http://coworknet.test", "")).status_code == 200
    assert url not in portal.get("/events/mine").get_data(as_text=True)
    portal.post("/events/mine/feed/revoke", {"confirm": "1"})
    assert portal.get(url.replace("http://coworknet.test", "")).status_code == 404


def test_english_dates_and_montreal_time_zone(portal, create_member, make_event, clock):
    clock.pin(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))  # the wording of a fixed date is the point
    event = make_event(title="5 à 7 montréalais", type="cinq_a_sept", start_at=datetime(2026, 12, 3, 17, 0),
                       end_at=datetime(2026, 12, 3, 19, 0), timezone="America/Montreal")
    portal.login(create_member(locale="en").email)
    portal.post("/lang", {"lang": "en", "next": "/events"})
    page = portal.get(f"/events/{event.id}").get_data(as_text=True)
    assert "Thursday 3 December 2026 at 17:00" in page and "(Canada — Montreal)" in page  # the zone by its place
