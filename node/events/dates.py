"""Reads for lists of dates: seats taken, waitlist lengths and the viewer's registration of
many occurrences at once (grouped queries, so a page costs the same for 5 events or 200), and
a weekly series folded to its next date.

The statement count of the agenda, an event page and the API's agenda does not grow with the
number of events or dates (``tests/events/test_query_counts.py``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from ..members.models import Member
from ..orm import among
from .events import load_occurrences
from .models import SEAT_HOLDING, EventOccurrence, Registration, RegistrationStatus

ACTIVE = SEAT_HOLDING + (RegistrationStatus.WAITLISTED.value,)


@dataclass
class OccurrenceState:
    """One date with what the viewer needs to know about it."""

    occurrence: EventOccurrence
    seats_taken: int = 0
    waitlist: int = 0
    #: The viewer's registration (any status), or None.
    mine: Registration | None = None
    #: The viewer's place in the waitlist (1: next in line), when waitlisted.
    position: int | None = None

    @property
    def seats_left(self) -> int | None:
        capacity = self.occurrence.capacity
        return None if capacity is None else max(capacity - self.seats_taken, 0)

    @property
    def is_full(self) -> bool:
        return self.seats_left == 0 or self.waitlist > 0

    @property
    def is_registered(self) -> bool:
        """The viewer holds a seat (confirmed, or a seat offered to them)."""
        return self.mine is not None and self.mine.status in SEAT_HOLDING

    @property
    def is_waitlisted(self) -> bool:
        return self.mine is not None and self.mine.status == RegistrationStatus.WAITLISTED


def counts(session: Session, occurrence_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """``{occurrence id: (seats taken, waitlist length)}`` in one grouped query."""
    ids = sorted(set(occurrence_ids))
    if not ids:
        return {}
    taken = func.sum(case((Registration.status.in_(SEAT_HOLDING), 1), else_=0))
    waiting = func.sum(case((Registration.status == RegistrationStatus.WAITLISTED, 1), else_=0))
    rows = session.execute(
        select(Registration.occurrence_id, taken, waiting)
        .where(among(Registration.occurrence_id, ids), Registration.status.in_(ACTIVE))
        .group_by(Registration.occurrence_id)
    )
    return {occurrence_id: (int(seats or 0), int(queue or 0)) for occurrence_id, seats, queue in rows}


def registrations_of(session: Session, member: Member, occurrence_ids: Iterable[int]) -> dict[int, Registration]:
    """The member's registration of each of these dates, in one query."""
    ids = sorted(set(occurrence_ids))
    if not ids:
        return {}
    rows = session.scalars(select(Registration).where(
        among(Registration.occurrence_id, ids), Registration.idempotency_key == f"member:{member.id}"))
    return {row.occurrence_id: row for row in rows}


def waitlist_positions(session: Session, registrations: Sequence[Registration]) -> dict[int, int]:
    """``{registration id: place in its waitlist}`` for the waitlisted ones, in one query."""
    waiting = [r.id for r in registrations if r.status == RegistrationStatus.WAITLISTED]
    if not waiting:
        return {}
    ahead = aliased(Registration)
    rows = session.execute(
        select(Registration.id, func.count(ahead.id))
        .outerjoin(ahead, and_(
            ahead.occurrence_id == Registration.occurrence_id,
            ahead.status == RegistrationStatus.WAITLISTED,
            or_(ahead.queued_at < Registration.queued_at,
                and_(ahead.queued_at == Registration.queued_at, ahead.id < Registration.id))))
        .where(among(Registration.id, waiting)).group_by(Registration.id)
    )
    return {registration_id: int(before) + 1 for registration_id, before in rows}


def states(session: Session, occurrences: Sequence[EventOccurrence], viewer: Member | None) -> list[OccurrenceState]:
    """The state of each date for ``viewer``: two or three statements for any number of dates."""
    ids = [o.id for o in occurrences]
    taken = counts(session, ids)
    mine = registrations_of(session, viewer, ids) if viewer is not None else {}
    positions = waitlist_positions(session, list(mine.values()))
    out = []
    for occurrence in occurrences:
        seats, queue = taken.get(occurrence.id, (0, 0))
        registration = mine.get(occurrence.id)
        out.append(OccurrenceState(occurrence, seats, queue, registration,
                                   positions.get(registration.id) if registration is not None else None))
    return out


@dataclass(frozen=True)
class ListedAttendee:
    member_id: int
    display_name: str


def listed_attendees(session: Session, occurrence_ids: Iterable[int]) -> dict[int, list[ListedAttendee]]:
    """The members holding a seat who chose to be listed, per date, in order of registration:
    one query for all the dates. Guests and people of other spaces are never named (counted)."""
    ids = sorted(set(occurrence_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(Registration.occurrence_id, Member.id, Member.display_name)
        .join(Member, Member.id == Registration.member_id)
        .where(among(Registration.occurrence_id, ids), Registration.status.in_(SEAT_HOLDING),
               Registration.registrant_kind == "local", Registration.is_listed.is_(True),
               Member.status == "active")
        .order_by(Registration.queued_at, Registration.id)
    )
    out: dict[int, list[ListedAttendee]] = {}
    for occurrence_id, member_id, name in rows:
        out.setdefault(occurrence_id, []).append(ListedAttendee(member_id, name))
    return out


# --- a series folded to its next date ---------------------------------------------------------

@dataclass
class AgendaLine:
    """A line of the agenda: one date, or a series shown by its next date."""

    state: OccurrenceState
    #: How many other dates of the series the listed period holds (0 for a one-off event).
    later: int = 0
    #: How many of those later dates the viewer holds a seat for.
    registered_later: int = 0

    @property
    def is_series(self) -> bool:
        return bool(self.state.occurrence.event.rrule)


def fold_series(outline: Iterable[tuple[int, int, bool]]) -> list[tuple[int, list[int]]]:
    """``(occurrence id, event id, is a series)`` rows in time order folded to lines: one per
    one-off date, one per series at its first listed date with the ids of its later dates."""
    lines: list[tuple[int, list[int]]] = []
    series: dict[int, list[int]] = {}
    for occurrence_id, event_id, is_series in outline:
        if not is_series:
            lines.append((occurrence_id, []))
        elif event_id in series:
            series[event_id].append(occurrence_id)
        else:
            series[event_id] = []
            lines.append((occurrence_id, series[event_id]))
    return lines


def agenda_lines(session: Session, folded: Sequence[tuple[int, list[int]]],
                 viewer: Member | None) -> list[AgendaLine]:
    """The lines of ``folded`` (a page of :func:`fold_series`) with their dates loaded and their
    states for ``viewer``: the dates shown are loaded whole, a series' later dates only counted
    (five statements at most, whatever the page's length)."""
    shown = load_occurrences(session, [first for first, _later in folded])
    by_id = {state.occurrence.id: state for state in states(session, shown, viewer)}
    later_ids = [occurrence_id for _first, later in folded for occurrence_id in later]
    held = {occurrence_id for occurrence_id, registration in
            (registrations_of(session, viewer, later_ids) if viewer is not None else {}).items()
            if registration.status in SEAT_HOLDING}
    return [AgendaLine(by_id[first], len(later), sum(1 for occurrence_id in later if occurrence_id in held))
            for first, later in folded if first in by_id]
