"""Registration without an account, the opt-in attendee list and attendance for everyone at once."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from node.events import events, guests, registrations
from node.events.registrations import Registrant
from node.models import Registration
from tests.conftest import count_rows

LINK = re.compile(r"http://[^\s]+/events/guest/confirm/([A-Za-z0-9_=-]+)")
MANAGE = re.compile(r"http://[^\s]+/events/guest/([A-Za-z0-9_=-]+)")


def _ask(portal, occurrence_id, name="Camille Passant", email="camille@example.net"):
    return portal.post(f"/events/occurrences/{occurrence_id}/guest", {"name": name, "email": email})


def test_a_visitor_registers_by_mail_link_and_cancels_by_their_link(portal, make_event, session, outbox, manager):
    event = make_event(audience="public", capacity=1)
    occurrence_id = event.occurrences[0].id
    page = portal.get(f"/events/{event.id}").get_data(as_text=True)
    assert "Pas de compte ? Inscrivez-vous avec votre e-mail" in page

    response = _ask(portal, occurrence_id)
    assert response.status_code == 302
    assert count_rows(session, Registration) == 0  # nothing is held before the confirmation
    (mail,) = outbox
    assert mail.to == "camille@example.net" and "Apéro de rentrée" in mail.subject
    assert "camille" not in LINK.search(mail.body).group(0)  # the address is not readable in the link
    token = LINK.search(mail.body).group(1)

    # Opening the link shows what will be confirmed; only the button registers (mail scanners).
    shown = portal.get(f"/events/guest/confirm/{token}")
    assert shown.status_code == 200 and "Camille Passant" in shown.get_data(as_text=True)
    assert count_rows(session, Registration) == 0
    confirmed = portal.post(f"/events/guest/confirm/{token}")
    assert confirmed.status_code == 302
    row = session.scalar(select(Registration))
    assert (row.registrant_kind, row.status, row.display_name, row.email) == (
        "guest", "confirmed", "Camille Passant", "camille@example.net")
    # A second click changes nothing.
    portal.post(f"/events/guest/confirm/{token}")
    assert count_rows(session, Registration) == 1

    manage = MANAGE.search(outbox[-1].body).group(1)
    for link in (confirmed.headers["Location"], f"/events/guest/{manage}"):
        assert 'data-status="confirmed"' in portal.get(link).get_data(as_text=True)
    # The manager sees the guest, marked as such.
    manager_portal = portal
    manager_portal.login(manager.email)
    sheet = manager_portal.get(f"/events/admin/occurrences/{occurrence_id}").get_data(as_text=True)
    assert "Camille Passant" in sheet and "invité·e, sans compte" in sheet
    portal.post("/logout")

    # Cancelling asks first (no JavaScript): without confirm=1 nothing changes.
    asked = portal.post(f"/events/guest/{manage}/cancel")
    assert asked.status_code == 200 and 'name="confirm" value="1"' in asked.get_data(as_text=True)
    session.expire_all()
    assert session.scalar(select(Registration)).status == "confirmed"
    assert portal.post(f"/events/guest/{manage}/cancel", data={"confirm": "1"}).status_code == 302
    session.expire_all()
    assert session.scalar(select(Registration)).status == "cancelled"


def test_guest_links_refuse_tampering_expiry_and_members_only_events(portal, make_event, session, outbox, clock, app):
    members_only = make_event(audience="space")
    assert _ask(portal, members_only.occurrences[0].id).status_code == 404
    event = make_event(audience="public")
    assert portal.get("/events/guest/confirm/not-a-token").status_code == 404
    _ask(portal, event.occurrences[0].id)
    token = LINK.search(outbox[-1].body).group(1)
    assert portal.post(f"/events/guest/confirm/{token[:-4]}AAAA").status_code == 404
    clock.pin(clock.now() + timedelta(hours=25))  # past EVENT_GUEST_CONFIRM_HOURS
    assert portal.post(f"/events/guest/confirm/{token}").status_code == 404
    assert count_rows(session, Registration) == 0


def test_a_bad_guest_form_comes_back_with_what_was_typed(portal, make_event, outbox):
    event = make_event(audience="public")
    response = _ask(portal, event.occurrences[0].id, name="Camille", email="pas-une-adresse")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="pas-une-adresse"' in page and 'value="Camille"' in page and 'aria-invalid="true"' in page
    assert not outbox


def test_guest_requests_are_rate_limited_per_mailbox(portal, make_event, outbox):
    event = make_event(audience="public")
    answers = [_ask(portal, event.occurrences[0].id).status_code for _ in range(4)]
    assert answers == [302, 302, 302, 429]
    assert len(outbox) == 3


def test_guests_are_erased_after_the_date_and_retention(session, make_event, clock):
    event = make_event(audience="public")
    occurrence = event.occurrences[0]
    registrations.register(session, occurrence.id, Registrant.guest("Camille", "c@example.net", guests.guest_key(
        "c@example.net")), clock.now())
    session.commit()
    assert guests.erase_past(session, occurrence.end_at + timedelta(days=29), timedelta(days=30)) == 0
    assert guests.erase_past(session, occurrence.end_at + timedelta(days=31), timedelta(days=30)) == 1
    session.commit()
    row = session.scalar(select(Registration))
    assert (row.display_name, row.email, row.status) == ("", None, "confirmed")


def test_members_choose_to_be_listed_and_others_are_counted(portal, make_event, create_member, session, clock,
                                                            register_remote):
    event = make_event(capacity=10, audience="network")
    occurrence_id = event.occurrences[0].id
    lea = create_member("lea@example.org", display_name="Léa Martin")
    omar = create_member("omar@example.org", display_name="Omar Haddad")
    portal.login(lea.email)
    portal.post(f"/events/occurrences/{occurrence_id}/register", {"is_listed": "1"})
    portal.post("/logout")
    portal.login(omar.email)
    portal.post(f"/events/occurrences/{occurrence_id}/register")
    register_remote(occurrence_id)
    page = portal.get(f"/events/{event.id}").get_data(as_text=True)
    assert re.search(rf'Participent :\s*<a href="/members/{lea.id}">Léa Martin</a> et 2 autres personnes', page)
    assert "Omar Haddad" not in page and "Zoé" not in page
    # Omar changes his mind: now listed too.
    portal.post(f"/events/occurrences/{occurrence_id}/listing", {"is_listed": "1"})
    page = portal.get(f"/events/{event.id}").get_data(as_text=True)
    assert "Omar Haddad</a> et 1 autre personne" in page
    # Visitors see no names.
    portal.post("/logout")
    assert "Léa Martin" not in portal.get(f"/events/{event.id}").get_data(as_text=True)


def test_attendance_for_everyone_in_one_submit(portal, make_event, manager, create_member, session, clock):
    event = make_event(capacity=2)
    occurrence_id = event.occurrences[0].id
    people = [create_member(f"p{i}@example.org") for i in range(3)]
    for person in people:
        registrations.register(session, occurrence_id, Registrant.local(person), clock.now(), viewer=person)
    session.commit()
    rows = registrations.attendees(session, occurrence_id)
    confirmed = [r.id for r in rows if r.status == "confirmed"]
    waitlisted = [r.id for r in rows if r.status == "waitlisted"]
    portal.login(manager.email)
    ticked = portal.get(f"/events/admin/occurrences/{occurrence_id}?all=1").get_data(as_text=True)
    assert ticked.count("checked") == 2
    # The manager unticks one and saves once.
    response = portal.post(f"/events/admin/occurrences/{occurrence_id}/attendance",
                           {"present_ids": str(confirmed[0])})
    assert response.status_code == 302
    session.expire_all()
    assert {r.id: r.attendance for r in registrations.attendees(session, occurrence_id)} == {
        confirmed[0]: "present", confirmed[1]: "no_show", waitlisted[0]: None}
    # A waitlisted person cannot be marked present; nothing changes.
    refused = portal.post(f"/events/admin/occurrences/{occurrence_id}/attendance",
                          {"present_ids": [str(confirmed[1]), str(waitlisted[0])]})
    assert refused.status_code == 422
    session.expire_all()
    assert session.get(Registration, confirmed[1]).attendance == "no_show"
    # Members cannot.
    portal.post("/logout")
    portal.login(people[0].email)
    assert portal.post(f"/events/admin/occurrences/{occurrence_id}/attendance", {}).status_code == 403
    assert events  # the module under test
