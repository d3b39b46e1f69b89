"""iCalendar output of regional events: the whole program in one feed, and the remote
sessions a member registered for (added to the events area's personal feed)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC

import icalendar
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..events import recurrence
from ..events.ical import PRODID
from ..members.models import Member
from .models import RegionalSession, RemoteRegistration

_STATUS = {"confirmed": "CONFIRMED", "waitlisted": "TENTATIVE", "pending": "TENTATIVE"}


def session_component(row: RegionalSession, url: str, status: str | None = None) -> icalendar.Event:
    """One VEVENT per session; its UID is the session's global id, the same on every node."""
    zone = recurrence.zone(row.timezone)
    vevent = icalendar.Event()
    vevent.add("uid", row.object_id)
    vevent.add("dtstamp", row.updated_at.astimezone(UTC))
    vevent.add("summary", row.title)
    if row.description:
        vevent.add("description", row.description)
    vevent.add("dtstart", row.starts_at.astimezone(zone))
    vevent.add("dtend", row.ends_at.astimezone(zone))
    vevent.add("location", ", ".join(p for p in (row.host_name, row.venue_name, row.venue_address,
                                                 row.venue_city) if p))
    vevent.add("status", "CANCELLED" if row.status == "cancelled" else (status or "CONFIRMED"))
    vevent.add("categories", [row.kind])
    vevent.add("url", url)
    return vevent


def program_ics(name: str, rows: Iterable[RegionalSession], url: str) -> bytes:
    """The whole program of a regional event as one calendar."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    for row in rows:
        calendar.add_component(session_component(row, url))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def remote_components(session: Session, member: Member, base_url: str) -> list[icalendar.Event]:
    """The member's active registrations to sessions hosted by other nodes."""
    rows = session.execute(
        select(RegionalSession, RemoteRegistration)
        .join(RemoteRegistration, RemoteRegistration.session_object_id == RegionalSession.object_id)
        .where(RemoteRegistration.member_id == member.id, RemoteRegistration.action == "register",
               RemoteRegistration.status.in_(tuple(_STATUS)))
        .order_by(RegionalSession.starts_at)).all()
    url = f"{base_url.rstrip('/')}/regional/mine"
    return [session_component(row, url, _STATUS[registration.status]) for row, registration in rows]
