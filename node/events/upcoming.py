"""What is coming soon, for the home page: the next dates a viewer may see, the seats left at
each, and a member's next registrations — each in a fixed number of queries."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, contains_eager, joinedload

from ..members.models import Member
from ..orm import among
from .events import visible_clause
from .models import (
    SEAT_HOLDING,
    Event,
    EventOccurrence,
    EventStatus,
    Registration,
    RegistrationStatus,
)

#: How far ahead the home page looks for events.
HORIZON = timedelta(days=120)
ACTIVE = (RegistrationStatus.CONFIRMED, RegistrationStatus.OFFERED, RegistrationStatus.WAITLISTED)


def next_occurrences(session: Session, viewer: Member | None, now: datetime, *, limit: int = 5,
                     public_only: bool = False) -> list[EventOccurrence]:
    """The next dates (not cancelled, not over) that ``viewer`` may see, each with its event
    loaded; ``public_only``: only events open to the public (one query)."""
    query = (
        select(EventOccurrence).join(Event).options(contains_eager(EventOccurrence.event))
        .where(visible_clause(viewer), Event.status == EventStatus.PUBLISHED,
               EventOccurrence.is_cancelled.is_(False), EventOccurrence.end_at > now,
               EventOccurrence.start_at < now + HORIZON)
        .order_by(EventOccurrence.start_at, EventOccurrence.id).limit(limit)
    )
    if public_only:
        query = query.where(Event.audience == "public")
    return list(session.scalars(query).unique())


def seats_left(session: Session, occurrences: list[EventOccurrence]) -> dict[int, int | None]:
    """Seats left at each date (None: no limit), in one query for all of them."""
    ids = [o.id for o in occurrences]
    taken = dict(session.execute(
        select(Registration.occurrence_id, func.count()).where(
            among(Registration.occurrence_id, ids), Registration.status.in_(SEAT_HOLDING))
        .group_by(Registration.occurrence_id)).all()) if ids else {}
    left: dict[int, int | None] = {}
    for occurrence in occurrences:
        capacity = occurrence.capacity if occurrence.capacity is not None else occurrence.event.capacity
        left[occurrence.id] = None if capacity is None else max(capacity - taken.get(occurrence.id, 0), 0)
    return left


def my_next_registrations(session: Session, member: Member, now: datetime, *,
                          limit: int = 5) -> list[Registration]:
    """The member's seats, offers and waitlist places at dates not over yet, soonest first,
    each with its date and event loaded (one query)."""
    query = (
        select(Registration).join(EventOccurrence, Registration.occurrence_id == EventOccurrence.id)
        .join(Event, Registration.event_id == Event.id)
        .options(contains_eager(Registration.occurrence), joinedload(Registration.event))
        .where(Registration.member_id == member.id, Registration.status.in_(ACTIVE),
               EventOccurrence.end_at > now, EventOccurrence.is_cancelled.is_(False),
               Event.status != EventStatus.CANCELLED)
        .order_by(EventOccurrence.start_at).limit(limit)
    )
    return list(session.scalars(query).unique())


def recently_announced(session: Session, viewer: Member | None, now: datetime, *,
                       since: timedelta = timedelta(days=14), limit: int = 5) -> list[Event]:
    """Events published lately that are still to come (one query)."""
    return list(session.scalars(
        select(Event).where(visible_clause(viewer), Event.status == EventStatus.PUBLISHED,
                            Event.created_at >= now - since, Event.end_at > now)
        .order_by(Event.created_at.desc()).limit(limit)))
