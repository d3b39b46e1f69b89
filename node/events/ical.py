"""iCalendar (RFC 5545) output: one event, the public agenda, a member's own events; and the
secret tokens of personal feeds (only their hashes are stored)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime

import icalendar
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import N_, NotFound
from ..members.models import Member
from . import recurrence
from .models import CalendarFeedToken, Event, EventOccurrence, EventStatus, Registration

PRODID = "-//Coworknet//Events//FR"
REGISTRATION_STATUS = {"confirmed": "CONFIRMED", "offered": "TENTATIVE", "waitlisted": "TENTATIVE"}


def _local(moment: datetime, event: Event) -> datetime:
    return moment.astimezone(recurrence.zone(event.timezone))


def _location(occurrence: EventOccurrence | None, event: Event) -> str:
    venue = occurrence.venue if occurrence is not None else event.venue
    return venue.label if venue is not None else event.address


def _status(event: Event, occurrence: EventOccurrence | None = None) -> str:
    if event.status == EventStatus.CANCELLED or (occurrence is not None and occurrence.is_cancelled):
        return "CANCELLED"
    return "TENTATIVE" if event.status == EventStatus.DRAFT else "CONFIRMED"


def _vevent(event: Event, base_url: str, *, uid: str, start: datetime, end: datetime, location: str,
            status: str) -> icalendar.Event:
    vevent = icalendar.Event()
    vevent.add("uid", uid)
    vevent.add("dtstamp", event.updated_at.astimezone(UTC))
    vevent.add("last-modified", event.updated_at.astimezone(UTC))
    vevent.add("sequence", event.sequence)
    vevent.add("summary", event.title)
    if event.description:
        vevent.add("description", event.description)
    vevent.add("dtstart", _local(start, event))
    vevent.add("dtend", _local(end, event))
    if location:
        vevent.add("location", location)
    vevent.add("status", status)
    vevent.add("categories", [event.type])
    vevent.add("url", f"{base_url.rstrip('/')}/events/{event.id}")
    return vevent


def event_components(event: Event, base_url: str) -> list[icalendar.Event]:
    """A one-off event as one VEVENT; a series as RRULE + EXDATE + RECURRENCE-ID overrides."""
    occurrences = event.occurrences
    if not event.rrule:
        first = occurrences[0] if occurrences else None
        start, end = (first.start_at, first.end_at) if first else (event.start_at, event.end_at)
        return [_vevent(event, base_url, uid=event.uid, start=start, end=end,
                        location=_location(first, event), status=_status(event, first))]
    master = _vevent(event, base_url, uid=event.uid, start=event.start_at, end=event.end_at,
                     location=_location(None, event), status=_status(event))
    master.add("rrule", icalendar.vRecur.from_ical(event.rrule.removeprefix("RRULE:")))
    components = [master]
    duration = event.end_at - event.start_at
    for occurrence in occurrences:
        if occurrence.is_cancelled:
            master.add("exdate", _local(occurrence.original_start_at, event))
            continue
        moved = (occurrence.start_at != occurrence.original_start_at
                 or occurrence.end_at - occurrence.start_at != duration)
        if moved or occurrence.venue_id != event.venue_id:
            override = _vevent(event, base_url, uid=event.uid, start=occurrence.start_at,
                               end=occurrence.end_at, location=_location(occurrence, event),
                               status=_status(event, occurrence))
            override.add("recurrence-id", _local(occurrence.original_start_at, event))
            components.append(override)
    return components


def _calendar(name: str, components: Iterable[icalendar.Component]) -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    for component in components:
        calendar.add_component(component)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def event_ics(event: Event, base_url: str) -> bytes:
    return _calendar(event.title, event_components(event, base_url))


def agenda_ics(events: Iterable[Event], name: str, base_url: str) -> bytes:
    """The space's public agenda: every public event that is not a draft."""
    return _calendar(name, [c for event in events for c in event_components(event, base_url)])


def personal_ics(registrations: Iterable[Registration], name: str, base_url: str,
                 extra: Iterable[icalendar.Component] = ()) -> bytes:
    """A member's registrations, one VEVENT per date (UID stable per event and date), plus
    ``extra`` components from other areas (e.g. sessions the member booked at another node)."""
    components = []
    for registration in registrations:
        occurrence, event = registration.occurrence, registration.event
        status = _status(event, occurrence)
        if status != "CANCELLED":
            status = REGISTRATION_STATUS.get(registration.status, "CANCELLED")
        stamp = occurrence.original_start_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        components.append(_vevent(event, base_url, uid=f"{stamp}-{event.uid}", start=occurrence.start_at,
                                  end=occurrence.end_at, location=_location(occurrence, event),
                                  status=status))
    return _calendar(name, [*components, *extra])


# --- secret feed tokens -----------------------------------------------------------------------

def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def regenerate_feed_token(session: Session, member: Member) -> str:
    """A new secret for the member's feed; the old URL stops working. Returns the clear token."""
    token = secrets.token_urlsafe(32)
    row = session.get(CalendarFeedToken, member.id)
    if row is None:
        row = CalendarFeedToken(member_id=member.id, token_hash=_hash(token))
        session.add(row)
    else:
        row.token_hash = _hash(token)
        row.created_at = datetime.now(UTC)
    session.flush()
    return token


def revoke_feed_token(session: Session, member: Member) -> None:
    """Switch the member's feed off."""
    row = session.get(CalendarFeedToken, member.id)
    if row is not None:
        session.delete(row)
        session.flush()


def has_feed_token(session: Session, member: Member) -> bool:
    return session.get(CalendarFeedToken, member.id) is not None


def member_for_feed_token(session: Session, token: str) -> Member:
    row = session.scalar(select(CalendarFeedToken).where(CalendarFeedToken.token_hash == _hash(token)))
    member = session.get(Member, row.member_id) if row is not None else None
    if member is None or not member.is_active:
        raise NotFound(N_("No such calendar."))
    return member
