"""Reminders before events: each member with a confirmed seat is reminded once, within the day
before the date starts (the scheduler's ``events.reminders`` job)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..members.models import Member
from ..notifications.operations import notify
from .models import Event, EventOccurrence, EventStatus, Registration, RegistrationStatus

#: How long before a date its registrants are reminded.
REMINDER_BEFORE = timedelta(hours=24)


def send_reminders(session: Session, now: datetime) -> int:
    """Remind the registrants of the dates starting in the next 24 hours; returns how many."""
    rows = session.execute(
        select(Registration, EventOccurrence, Event)
        .join(EventOccurrence, EventOccurrence.id == Registration.occurrence_id)
        .join(Event, Event.id == Registration.event_id)
        .where(Registration.status == RegistrationStatus.CONFIRMED,
               Registration.registrant_kind == "local",
               Event.status == EventStatus.PUBLISHED, EventOccurrence.is_cancelled.is_(False),
               EventOccurrence.start_at > now, EventOccurrence.start_at <= now + REMINDER_BEFORE)
        .order_by(EventOccurrence.start_at, Registration.id)).all()
    told = 0
    for registration, occurrence, event in rows:
        member = session.get(Member, registration.member_id)
        key = f"reminder:{registration.id}:{occurrence.start_at.isoformat()}"
        if notify(session, member, "event.reminder", link=f"/events/{event.id}",
                  params={"title": event.title, "starts_at": occurrence.start_at,
                          "tz": event.timezone}, dedupe_key=key, now=now) is not None:
            told += 1
    return told
