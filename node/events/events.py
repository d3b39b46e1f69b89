"""Events: create, update, cancel; occurrences of a series; visibility; venues; Markdown.

Registration, waitlist and capacity live in ``registrations.py``; workshop proposals in
``proposals.py``."""

from __future__ import annotations

import calendar
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, contains_eager, selectinload

from .. import markup
from ..domain_events import EventChanged
from ..errors import N_, Forbidden, NotFound, ValidationError
from ..members.models import Member
from ..notifications.operations import notify
from ..orm import among
from ..uow import record
from . import guests, recurrence
from .access import can_manage, can_view
from .models import (
    SEAT_HOLDING,
    Event,
    EventHost,
    EventOccurrence,
    EventStatus,
    EventVenueRotation,
    Registration,
    RegistrationStatus,
    Venue,
)
from .registrations import expire_offers, fill_seats

logger = logging.getLogger(__name__)

#: How far ahead the dates of an open-ended series are materialised.
SERIES_HORIZON = timedelta(days=180)
#: A change of these fields is a change calendars must pick up (SEQUENCE bump).
SCHEDULE_FIELDS = ("start_at", "end_at", "timezone", "venue_id", "address", "rrule", "status", "title")

def render_markdown(text: str) -> str:
    """An event's description (Markdown) as safe HTML (``node.markup``)."""
    return markup.render_markdown(text)


def to_utc(value: datetime | None, tz_name: str) -> datetime | None:
    """A datetime from a form or the API: naive values are wall-clock time in ``tz_name``."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=recurrence.zone(tz_name))
    return value.astimezone(UTC)


def _invalid(name: str, message: str) -> ValidationError:
    return ValidationError(N_("Please check the highlighted fields."), fields={name: [message]})


# --- visibility -------------------------------------------------------------------------------

def get_event(session: Session, event_id: int, viewer: Member | None = None, *, check: bool = True) -> Event:
    event = session.get(Event, event_id)
    if event is None or (check and not can_view(event, viewer)):
        raise NotFound(N_("No such event."))
    return event


def get_occurrence(session: Session, occurrence_id: int, viewer: Member | None = None) -> EventOccurrence:
    occurrence = session.get(EventOccurrence, occurrence_id)
    if occurrence is None or not can_view(occurrence.event, viewer):
        raise NotFound(N_("No such event."))
    return occurrence


def visible_clause(viewer: Member | None):
    """SQL condition matching the events ``viewer`` may see in lists."""
    if viewer is None:
        return and_(Event.status != EventStatus.DRAFT, Event.audience == "public")
    if viewer.is_manager:
        return Event.id.is_not(None)
    hosted = select(EventHost.event_id).where(EventHost.member_id == viewer.id)
    return or_(Event.status != EventStatus.DRAFT, Event.id.in_(hosted))


def list_occurrences(session: Session, viewer: Member | None, *, start: datetime, end: datetime,
                     event_type: str | None = None, limit: int = 200, offset: int = 0,
                     include_cancelled: bool = True, with_hosts: bool = True) -> list[EventOccurrence]:
    """Occurrences starting in ``[start, end)`` that ``viewer`` may see, in time order (their
    events' hosts loaded with them unless ``with_hosts=False``: a list that names none)."""
    query = (
        select(EventOccurrence).join(Event)
        .options(contains_eager(EventOccurrence.event).joinedload(Event.venue))
        .where(visible_clause(viewer), EventOccurrence.start_at >= start, EventOccurrence.start_at < end)
        .order_by(EventOccurrence.start_at, EventOccurrence.id).limit(limit).offset(offset)
    )
    if with_hosts:
        query = query.options(contains_eager(EventOccurrence.event).selectinload(Event.hosts))
    if event_type:
        query = query.where(Event.type == event_type)
    if not include_cancelled:
        query = query.where(Event.status != EventStatus.CANCELLED, EventOccurrence.is_cancelled.is_(False))
    return list(session.scalars(query))


def outline_occurrences(session: Session, viewer: Member | None, *, start: datetime, end: datetime,
                        event_type: str | None = None, limit: int = 200) -> list[tuple[int, int, bool]]:
    """What :func:`list_occurrences` would list, as ``(occurrence id, event id, is a series)``
    rows only: enough to fold the series and page the agenda before loading the dates shown."""
    query = (
        select(EventOccurrence.id, EventOccurrence.event_id, Event.rrule).join(Event)
        .where(visible_clause(viewer), EventOccurrence.start_at >= start, EventOccurrence.start_at < end)
        .order_by(EventOccurrence.start_at, EventOccurrence.id).limit(limit)
    )
    if event_type:
        query = query.where(Event.type == event_type)
    return [(occurrence_id, event_id, bool(rrule)) for occurrence_id, event_id, rrule in session.execute(query)]


def load_occurrences(session: Session, occurrence_ids: Sequence[int]) -> list[EventOccurrence]:
    """These occurrences, in this order, each with its event and venue (one query)."""
    if not occurrence_ids:
        return []
    found = {occurrence.id: occurrence for occurrence in session.scalars(
        select(EventOccurrence).join(Event)
        .options(contains_eager(EventOccurrence.event).joinedload(Event.venue))
        .where(among(EventOccurrence.id, occurrence_ids)))}
    return [found[occurrence_id] for occurrence_id in occurrence_ids if occurrence_id in found]


@dataclass
class MonthAgenda:
    first: date
    weeks: list[list[date]]
    by_day: dict[date, list[EventOccurrence]]
    previous: str
    following: str


def month_agenda(session: Session, viewer: Member | None, year: int, month: int, tz: ZoneInfo,
                 event_type: str | None = None) -> MonthAgenda:
    """The month grid (weeks from Monday) with the visible occurrences of each local day."""
    first = date(year, month, 1)
    following = (first + timedelta(days=31)).replace(day=1)
    occurrences = list_occurrences(session, viewer, start=datetime.combine(first, time(0), tzinfo=tz),
                                   end=datetime.combine(following, time(0), tzinfo=tz), event_type=event_type)
    by_day: dict[date, list[EventOccurrence]] = {}
    for occurrence in occurrences:
        by_day.setdefault(occurrence.start_at.astimezone(tz).date(), []).append(occurrence)
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    return MonthAgenda(first, weeks, by_day, (first - timedelta(days=1)).strftime("%Y-%m"),
                       following.strftime("%Y-%m"))


def public_events(session: Session) -> list[Event]:
    query = (select(Event).where(Event.status != EventStatus.DRAFT, Event.audience == "public")
             .options(selectinload(Event.occurrences)).order_by(Event.start_at))
    return list(session.scalars(query))


# --- venues -----------------------------------------------------------------------------------

def list_venues(session: Session, *, active_only: bool = True) -> list[Venue]:
    query = select(Venue).order_by(Venue.kind.desc(), Venue.name)
    if active_only:
        query = query.where(Venue.is_active.is_(True))
    return list(session.scalars(query))


def list_events_since(session: Session, since: datetime) -> list[Event]:
    """Events (every status) ending after ``since``, by start: the manager's admin list."""
    return list(session.scalars(select(Event).where(Event.end_at >= since).order_by(Event.start_at)))


def create_venue(session: Session, data: dict) -> Venue:
    """Add a room of the space or an external address."""
    venue = Venue(name=data["name"], kind=data["kind"], address=data.get("address", ""),
                  capacity=data.get("capacity"))
    session.add(venue)
    session.flush()
    return venue


def _venue(session: Session, venue_id: int | None, name: str = "venue_id") -> Venue | None:
    if venue_id is None:
        return None
    venue = session.get(Venue, venue_id)
    if venue is None:
        raise _invalid(name, N_("No such venue."))
    return venue


# --- create, update, cancel -------------------------------------------------------------------

@dataclass
class EventChange:
    """What an update did: the event, and waitlisted people offered a freed seat."""

    event: Event
    offers: list[Registration] = field(default_factory=list)
    #: Registrations of dates that were just cancelled.
    cancelled: list[Registration] = field(default_factory=list)
    #: Registrations of a date that just moved (to tell them the new time).
    moved: list[Registration] = field(default_factory=list)


def _holders(session: Session, occurrence: EventOccurrence) -> list[Registration]:
    """The people with a seat, an offer or a place in the waitlist of ``occurrence``."""
    return list(session.scalars(
        select(Registration).where(Registration.occurrence_id == occurrence.id,
                                   Registration.status.in_(SEAT_HOLDING + (RegistrationStatus.WAITLISTED.value,)))
        .order_by(Registration.id)
    ))


def _apply(session: Session, event: Event, data: dict, now: datetime, *, creating: bool) -> set[str]:
    """Check ``data`` against the event's current values and write it; returns changed fields."""
    tz_name = data.get("timezone", event.timezone or "Europe/Paris")
    recurrence.zone(tz_name)
    values = dict(data)
    for name in ("start_at", "end_at", "registration_opens_at", "registration_closes_at"):
        if name in values:
            values[name] = to_utc(values[name], tz_name)
    start_at = values.get("start_at", event.start_at)
    end_at = values.get("end_at", event.end_at)
    if start_at is None:
        raise _invalid("start_at", N_("Missing data for required field."))
    if end_at is None:
        raise _invalid("end_at", N_("Missing data for required field."))
    if end_at <= start_at:
        raise _invalid("end_at", N_("The end must be after the start."))
    if "start_at" in values and start_at < now and (creating or start_at != event.start_at):
        raise _invalid("start_at", N_("The event cannot start in the past."))
    opens = values.get("registration_opens_at", event.registration_opens_at)
    closes = values.get("registration_closes_at", event.registration_closes_at)
    if opens and closes and closes <= opens:
        raise _invalid("registration_closes_at", N_("Registration must close after it opens."))
    if closes and closes > end_at:
        raise _invalid("registration_closes_at", N_("Registration must close before the event ends."))
    if "venue_id" in values:
        _venue(session, values["venue_id"])
    rule = values.get("rrule", event.rrule)
    if rule:
        recurrence.parse_rule(rule, start_at, tz_name)
    rotation = values.pop("rotation_venue_ids", None)
    host_ids = values.pop("host_ids", None)

    changed = set()
    for name, value in values.items():
        if getattr(event, name) != value:
            setattr(event, name, value)
            changed.add(name)
    if rotation is not None:
        for venue_id in rotation:
            _venue(session, venue_id, "rotation_venue_ids")
        if [r.venue_id for r in event.rotation] != list(rotation):
            event.rotation = [EventVenueRotation(position=i, venue_id=v) for i, v in enumerate(rotation)]
            changed.add("rotation")
    if host_ids is not None:
        _set_hosts(session, event, host_ids)
    return changed


def _set_hosts(session: Session, event: Event, host_ids: list[int]) -> None:
    wanted = list(dict.fromkeys(host_ids))
    for member_id in wanted:
        member = session.get(Member, member_id)
        if member is None or not member.is_active:
            raise _invalid("host_ids", N_("Hosts must be active members of the space."))
    event.hosts = [h for h in event.hosts if h.member_id in wanted] + [
        EventHost(member_id=m) for m in wanted if m not in event.host_ids
    ]


def create_event(session: Session, actor: Member, data: dict, now: datetime) -> Event:
    """Create an event (a draft unless ``status`` says published) with its occurrences."""
    data = dict(data)
    data.setdefault("host_ids", [actor.id])
    data.setdefault("timezone", "Europe/Paris")
    event = Event(uid=f"{uuid.uuid4()}@coworknet", created_by_id=actor.id, sequence=0,
                  status=data.pop("status", EventStatus.DRAFT), start_at=None, end_at=None)
    _apply(session, event, data, now, creating=True)
    session.add(event)
    session.flush()
    sync_occurrences(session, event, now)
    logger.info("event %s created", event.id)
    return event


def update_event(session: Session, actor: Member, event: Event, data: dict, now: datetime) -> EventChange:
    """Change an event (its hosts or a manager); its dates are recomputed and freed seats
    offered to the waitlist."""
    require_manage(event, actor)
    if event.status == EventStatus.CANCELLED:
        raise ValidationError(N_("A cancelled event cannot be changed."))
    changed = _apply(session, event, data, now, creating=False)
    if changed & set(SCHEDULE_FIELDS) or "rotation" in changed:
        event.sequence += 1
    session.flush()
    one_off = None if event.rrule or len(event.occurrences) != 1 else event.occurrences[0]
    was = (one_off.start_at, one_off.end_at) if one_off is not None else None
    sync_occurrences(session, event, now)
    change = EventChange(event)
    if event.status == EventStatus.PUBLISHED:
        for occurrence in event.occurrences:
            if not occurrence.is_cancelled and occurrence.start_at > now:
                change.offers += fill_seats(session, occurrence.id, now)
        if one_off is not None and not one_off.is_cancelled and (one_off.start_at, one_off.end_at) != was:
            change.moved = _holders(session, one_off)
    return change


def cancel_event(session: Session, actor: Member, event: Event, now: datetime, reason: str = "") -> list[Registration]:
    """Cancel the event (its hosts or a manager; ``actor`` None: the organising node, through
    sync), keeping the organisers' ``reason`` (shown on the event page to the people registered
    and in what they are told); returns the registrations whose holders should be told."""
    if actor is not None:
        require_manage(event, actor)
    if event.status == EventStatus.CANCELLED:
        raise ValidationError(N_("This event is already cancelled."))
    was_published = event.status == EventStatus.PUBLISHED
    event.status = EventStatus.CANCELLED
    event.cancelled_at = now
    event.cancel_reason = reason
    event.sequence += 1
    session.flush()
    record(session, EventChanged(event.id))
    if not was_published:
        return []
    holders = list(session.scalars(
        select(Registration).where(Registration.event_id == event.id,
                                   Registration.status.in_(SEAT_HOLDING + (RegistrationStatus.WAITLISTED.value,)))
    ))
    for registration in holders:
        if registration.registrant_kind == "local" and registration.member_id:
            notify(session, session.get(Member, registration.member_id), "event.cancelled",
                   link=f"/events/{event.id}",
                   params={"title": event.title, "starts_at": registration.occurrence.start_at,
                           "tz": event.timezone, **({"comment": reason} if reason else {})},
                   dedupe_key=f"cancelled:{registration.id}", now=now)
    return holders


# --- occurrences ------------------------------------------------------------------------------

def _series_starts(event: Event, now: datetime) -> list[datetime]:
    if not event.rrule:
        return [event.start_at]
    return recurrence.expand(event.rrule, event.start_at, event.timezone,
                             max(now, event.start_at) + SERIES_HORIZON)


def sync_occurrences(session: Session, event: Event, now: datetime) -> None:
    """Materialise the event's dates; keep manager's per-date changes and dates with people.

    A date the rule no longer produces is removed, or cancelled when someone registered."""
    starts = _series_starts(event, now)
    duration = event.end_at - event.start_at
    rotation = [r.venue_id for r in event.rotation]
    existing = {o.original_start_at: o for o in event.occurrences}
    if not event.rrule and len(existing) == 1 and starts[0] not in existing:
        # A one-off event moved: its one date moves with it, seats and waitlist included.
        moved = existing.popitem()[1]
        moved.original_start_at = starts[0]
        moved.start_at, moved.end_at = starts[0], starts[0] + duration
        existing[starts[0]] = moved
    for index, start in enumerate(starts):
        occurrence = existing.pop(start, None)
        if occurrence is None:
            occurrence = EventOccurrence(original_start_at=start, is_modified=False, is_cancelled=False,
                                         lock_version=0)
            event.occurrences.append(occurrence)
        if occurrence.is_modified:
            continue
        occurrence.start_at, occurrence.end_at = start, start + duration
        occurrence.venue_id = rotation[index % len(rotation)] if rotation else event.venue_id
        occurrence.capacity = event.capacity
    for occurrence in existing.values():
        if occurrence.start_at < now:
            continue
        has_people = session.scalar(
            select(Registration.id).where(Registration.occurrence_id == occurrence.id).limit(1)
        )
        if has_people:
            occurrence.is_cancelled = True
        else:
            event.occurrences.remove(occurrence)
    session.flush()
    record(session, EventChanged(event.id))


def extend_series(session: Session, now: datetime) -> int:
    """Materialise new dates of open-ended series (run daily); returns how many series."""
    events = session.scalars(select(Event).where(Event.rrule.is_not(None), Event.status != EventStatus.CANCELLED))
    count = 0
    for event in events:
        sync_occurrences(session, event, now)
        count += 1
    return count


def update_occurrence(session: Session, occurrence: EventOccurrence, data: dict, now: datetime) -> EventChange:
    """Change or cancel one date of an event.

    Returns the waitlisted people offered a seat, and when the date is newly cancelled the
    people registered for it (to tell them)."""
    event = occurrence.event
    was_cancelled = occurrence.is_cancelled
    if "is_cancelled" in data:
        occurrence.is_cancelled = data["is_cancelled"]
    start_at = to_utc(data.get("start_at"), event.timezone) or occurrence.start_at
    end_at = to_utc(data.get("end_at"), event.timezone) or occurrence.end_at
    if end_at <= start_at:
        raise _invalid("end_at", N_("The end must be after the start."))
    if "start_at" in data and start_at != occurrence.start_at and start_at < now:
        raise _invalid("start_at", N_("The event cannot start in the past."))
    if "venue_id" in data:
        _venue(session, data["venue_id"])
        occurrence.venue_id = data["venue_id"]
    if "capacity" in data:
        occurrence.capacity = data["capacity"]
    was = (occurrence.start_at, occurrence.end_at)
    occurrence.start_at, occurrence.end_at = start_at, end_at
    occurrence.is_modified = True
    event.sequence += 1
    session.flush()
    record(session, EventChanged(event.id))
    change = EventChange(event)
    if occurrence.is_cancelled and not was_cancelled and event.status == EventStatus.PUBLISHED:
        change.cancelled = _holders(session, occurrence)
    elif not occurrence.is_cancelled and event.status == EventStatus.PUBLISHED:
        change.offers = fill_seats(session, occurrence.id, now)
        if was != (start_at, end_at) and not was_cancelled:
            change.moved = _holders(session, occurrence)
    return change


def require_manage(event: Event, member: Member) -> None:
    if not can_manage(event, member):
        raise Forbidden(N_("Only the community manager or a host can do this."))


def tick(session: Session, now: datetime, offer_ttl: timedelta,
         guest_retention: timedelta = timedelta(days=30)) -> list[Registration]:
    """Periodic work: lapse overdue seat offers (returns the new ones), extend series, erase
    guests' names and addresses ``guest_retention`` after their date."""
    offers = expire_offers(session, now, offer_ttl)
    extend_series(session, now)
    guests.erase_past(session, now, guest_retention)
    return offers
