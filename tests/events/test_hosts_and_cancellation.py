"""A host runs their own event (edit, cancel) as a manager does, nobody else; cancelling asks
first and mails the people registered the organisers' word."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from flask_babel import force_locale
from sqlalchemy import select

from node.events import registrations
from node.events.registrations import Registrant
from node.models import Event
from node.notices.mailer import render_notification
from node.notifications.models import Notification


def _local(row, field: str) -> str:
    """A moment of an event or a date as a ``datetime-local`` field shows it (Paris time)."""
    return getattr(row, field).astimezone(ZoneInfo("Europe/Paris")).strftime("%Y-%m-%dT%H:%M")


def _form(event: Event, **changes) -> dict:
    form = {"title": event.title, "type": event.type, "description": event.description or "",
            "start_at": _local(event, "start_at"), "end_at": _local(event, "end_at"),
            "timezone": event.timezone, "venue_id": "", "address": "", "capacity": "",
            "registration_opens_at": "", "registration_closes_at": "", "price_info": "",
            "audience": event.audience, "status": event.status, "rrule": "",
            "host_ids": [str(i) for i in event.host_ids]}
    form.update(changes)
    return form


def test_a_host_edits_their_event_and_nobody_else_does(portal, session, make_event, create_member):
    host = create_member("hote@example.org", display_name="Hugo Hôte")
    other = create_member("autre@example.org")
    event = make_event(title="Atelier Canva", host_ids=[host.id])
    portal.login(host.email)
    page = portal.get(f"/events/{event.id}").get_data(as_text=True)
    assert f'href="/events/admin/{event.id}/edit"' in page
    assert portal.get(f"/events/admin/{event.id}/edit").status_code == 200
    response = portal.post(f"/events/admin/{event.id}/edit", _form(event, title="Atelier Canva avancé"))
    assert response.status_code == 302
    session.refresh(event)
    assert event.title == "Atelier Canva avancé"

    portal.login(other.email)
    assert f'href="/events/admin/{event.id}/edit"' not in portal.get(f"/events/{event.id}").get_data(as_text=True)
    assert portal.get(f"/events/admin/{event.id}/edit").status_code == 403
    assert portal.post(f"/events/admin/{event.id}/edit", _form(event, title="Piraté")).status_code == 403
    assert portal.post(f"/events/admin/{event.id}/cancel", {"confirm": "1"}).status_code == 403
    session.refresh(event)
    assert (event.title, event.status) == ("Atelier Canva avancé", "published")


def test_cancelling_asks_first_then_mails_the_reason(portal, manager, session, make_event, create_member,
                                                    clock, outbox):
    guest = create_member("invitee@example.org", display_name="Ana Invitée")
    event = make_event(title="Apéro du jeudi")
    registrations.register(session, event.occurrences[0].id, Registrant.local(guest), clock.now(), viewer=guest)
    session.commit()
    portal.login(manager.email)
    outbox.clear()

    asked = portal.post(f"/events/admin/{event.id}/cancel", {"reason": "La salle est inondée."})
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "data-confirmation" in html
    assert "La salle est inondée." in html  # the reason typed is kept in the question
    session.refresh(event)
    assert event.status == "published" and outbox == []

    done = portal.post(f"/events/admin/{event.id}/cancel",
                       {"reason": "La salle est inondée, on se retrouve en mars !", "confirm": "1"})
    assert done.status_code == 302
    session.refresh(event)
    assert event.status == "cancelled"
    [mail] = [m for m in outbox if m.to == guest.email and "Apéro du jeudi" in m.subject]
    assert "La salle est inondée, on se retrouve en mars !" in mail.body
    assert "Le mot de l’équipe organisatrice" in mail.body  # French, the guest's language


def test_a_date_is_cancelled_only_once_confirmed(portal, manager, session, make_event, clock):
    event = make_event(rrule="FREQ=WEEKLY;COUNT=3", now=clock.now() - timedelta(minutes=1))
    occurrence = event.occurrences[1]
    portal.login(manager.email)
    form = {"start_at": _local(occurrence, "start_at"), "end_at": _local(occurrence, "end_at"),
            "venue_id": "", "capacity": "", "is_cancelled": "on"}
    asked = portal.post(f"/events/admin/occurrences/{occurrence.id}", form)
    assert asked.status_code == 200 and "data-confirmation" in asked.get_data(as_text=True)
    session.refresh(occurrence)
    assert not occurrence.is_cancelled
    assert portal.post(f"/events/admin/occurrences/{occurrence.id}", {**form, "confirm": "1"}).status_code == 302
    session.refresh(occurrence)
    assert occurrence.is_cancelled


def test_the_reason_is_kept_shown_to_the_people_registered_and_in_their_notification(
        app, portal, manager, session, make_event, create_member, clock):
    guest = create_member("invitee@example.org", display_name="Ana Invitée")
    stranger = create_member("passant@example.org", display_name="Paul Passant")
    event = make_event(title="Apéro du jeudi", audience="space")
    registrations.register(session, event.occurrences[0].id, Registrant.local(guest), clock.now(), viewer=guest)
    session.commit()
    portal.login(manager.email)
    reason = "La salle est inondée.\nOn se retrouve en mars !"
    assert portal.post(f"/events/admin/{event.id}/cancel", {"reason": reason, "confirm": "1"}).status_code == 302
    session.refresh(event)
    assert (event.status, event.cancel_reason) == ("cancelled", reason)

    portal.login(guest.email)
    page = portal.get(f"/events/{event.id}").get_data(as_text=True)
    assert "Le mot de l’équipe organisatrice" in page and "La salle est inondée.\nOn se retrouve en mars !" in page
    [told] = session.scalars(select(Notification).where(Notification.member_id == guest.id,
                                                        Notification.kind == "event.cancelled")).all()
    with app.test_request_context(), force_locale("fr"):
        words = render_notification(told, default_tz="Europe/Paris")
    assert "Apéro du jeudi" in words.text and "« La salle est inondée.\nOn se retrouve en mars ! »" in words.text

    portal.login(stranger.email)  # not registered: the event is cancelled, the word is for its people
    page = portal.get(f"/events/{event.id}").get_data(as_text=True)
    assert "Cet événement est annulé." in page and "La salle est inondée." not in page


def test_without_a_reason_nothing_more_is_shown(portal, manager, session, make_event, create_member, clock):
    guest = create_member("invitee@example.org", display_name="Ana Invitée")
    event = make_event(title="Apéro du jeudi")
    registrations.register(session, event.occurrences[0].id, Registrant.local(guest), clock.now(), viewer=guest)
    session.commit()
    portal.login(manager.email)
    assert portal.post(f"/events/admin/{event.id}/cancel", {"confirm": "1"}).status_code == 302
    session.refresh(event)
    assert (event.status, event.cancel_reason) == ("cancelled", "")
    portal.login(guest.email)
    assert "Le mot de l’équipe organisatrice" not in portal.get(f"/events/{event.id}").get_data(as_text=True)
