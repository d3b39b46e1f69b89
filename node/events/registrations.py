"""Registration to an occurrence: capacity, first-come-first-served waitlist, offers.

Capacity is enforced in the database: every change of an occurrence's seats runs under a
lock on the occurrence row (``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite a write to the
row, which takes the database's write lock), and seats are counted after the lock is held.
So concurrent registrations queue up instead of overbooking.

A registrant is a local member or a person of another node (``Registrant.remote``): joint
events across nodes reuse :func:`register` and :func:`cancel_registration` as they are.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, lazyload

from ..db import for_update
from ..domain_events import RegistrationChanged
from ..errors import N_, Conflict, Forbidden, NotFound, ValidationError
from ..federation.keyring import RUNTIME_INFO_KEY
from ..members.models import Member
from ..notifications.operations import notify
from ..uow import record
from . import ical
from .access import can_view
from .models import SEAT_HOLDING, EventOccurrence, EventStatus, Registration, RegistrationStatus

logger = logging.getLogger(__name__)

DEFAULT_OFFER_TTL = timedelta(hours=24)
ACTIVE = SEAT_HOLDING + (RegistrationStatus.WAITLISTED.value,)


@dataclass(frozen=True)
class Registrant:
    """Who registers: a member of this node, or a person known by another node."""

    kind: str
    display_name: str
    idempotency_key: str
    member_id: int | None = None
    remote_node_id: str | None = None
    remote_ref: str | None = None
    email: str | None = None

    @classmethod
    def local(cls, member: Member) -> Registrant:
        return cls("local", member.display_name, f"member:{member.id}", member_id=member.id,
                   email=member.email)

    @classmethod
    def remote(cls, node_id: str, ref: str, display_name: str, *, email: str | None = None,
               idempotency_key: str | None = None) -> Registrant:
        return cls("remote", display_name, idempotency_key or f"remote:{node_id}:{ref}",
                   remote_node_id=node_id, remote_ref=ref, email=email)

    @classmethod
    def guest(cls, display_name: str, email: str, key: str) -> Registrant:
        """A person without an account (``node/events/guests.py``), for public events only."""
        return cls("guest", display_name, key, email=email)


@dataclass(frozen=True)
class RegistrationResult:
    registration: Registration
    #: False when an idempotent retry found the registration already there.
    created: bool = True


def lock_occurrence(session: Session, occurrence_id: int) -> EventOccurrence:
    """Take the occurrence's seat lock until the transaction ends, and reload it."""
    occurrence = session.scalar(for_update(session, select(EventOccurrence).where(
        EventOccurrence.id == occurrence_id).options(lazyload("*"))))
    if occurrence is None:
        raise NotFound(N_("No such event."))
    return occurrence


def seats_taken(session: Session, occurrence_id: int) -> int:
    return session.scalar(
        select(func.count()).select_from(Registration)
        .where(Registration.occurrence_id == occurrence_id, Registration.status.in_(SEAT_HOLDING))
    )


def waitlist_length(session: Session, occurrence_id: int) -> int:
    return session.scalar(
        select(func.count()).select_from(Registration)
        .where(Registration.occurrence_id == occurrence_id, Registration.status == RegistrationStatus.WAITLISTED)
    )


def waitlist_position(session: Session, registration: Registration) -> int | None:
    """1 for the first in line; None when not waitlisted."""
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    ahead = session.scalar(
        select(func.count()).select_from(Registration).where(
            Registration.occurrence_id == registration.occurrence_id,
            Registration.status == RegistrationStatus.WAITLISTED,
            (Registration.queued_at < registration.queued_at)
            | ((Registration.queued_at == registration.queued_at) & (Registration.id < registration.id)),
        )
    )
    return ahead + 1


def _check_open(occurrence: EventOccurrence, now: datetime) -> None:
    event = occurrence.event
    if event.status != EventStatus.PUBLISHED or occurrence.is_cancelled:
        raise Conflict(N_("This event is not open for registration."), code="registration_closed")
    # A series' dates each close when they start; a one-off event may close earlier.
    closes = occurrence.start_at
    if not event.rrule and event.registration_closes_at is not None:
        closes = min(closes, event.registration_closes_at)
    if now >= closes:
        raise Conflict(N_("Registration is closed."), code="registration_closed")
    if event.registration_opens_at and now < event.registration_opens_at:
        raise Conflict(N_("Registration is not open yet."), code="registration_not_open")


def register(session: Session, occurrence_id: int, registrant: Registrant, now: datetime, *,
             viewer: Member | None = None, idempotent: bool = False,
             is_listed: bool = False) -> RegistrationResult:
    """Take a seat, or a place at the end of the waitlist, under the occurrence lock.

    ``idempotent``: a repeated request with the same key returns the existing registration
    (the federation inbox); otherwise registering twice is a Conflict. ``is_listed``: a member
    chose to be named among the attendees other members see."""
    occurrence = lock_occurrence(session, occurrence_id)
    event = occurrence.event
    if registrant.kind == "local":
        if viewer is None or viewer.id != registrant.member_id or not can_view(event, viewer):
            raise NotFound(N_("No such event."))
    elif registrant.kind == "guest" and event.audience != "public":
        raise Forbidden(N_("This event is only open to members."))
    elif event.audience not in ("network", "public"):
        raise Forbidden(N_("This event is only open to members of the space."))
    existing = session.scalar(
        select(Registration).where(Registration.occurrence_id == occurrence_id,
                                   Registration.idempotency_key == registrant.idempotency_key)
    )
    if existing is not None and existing.status in ACTIVE:
        if idempotent:
            return RegistrationResult(existing, created=False)
        raise Conflict(N_("You are already registered."), code="already_registered")
    _check_open(occurrence, now)

    has_room = occurrence.capacity is None or seats_taken(session, occurrence_id) < occurrence.capacity
    # First come, first served: nobody passes the people already waiting.
    status = (RegistrationStatus.CONFIRMED if has_room and waitlist_length(session, occurrence_id) == 0
              else RegistrationStatus.WAITLISTED)
    registration = existing or Registration(occurrence_id=occurrence_id, event_id=event.id,
                                            idempotency_key=registrant.idempotency_key)
    registration.registrant_kind = registrant.kind
    registration.member_id = registrant.member_id
    registration.remote_node_id = registrant.remote_node_id
    registration.remote_ref = registrant.remote_ref
    registration.display_name = registrant.display_name
    registration.email = registrant.email
    registration.status = status
    registration.queued_at = _queue_moment(session, occurrence_id, now)
    registration.confirmed_at = now if status == RegistrationStatus.CONFIRMED else None
    registration.cancelled_at = None
    registration.offer_expires_at = None
    registration.attendance = None
    registration.is_listed = is_listed and registrant.kind == "local"
    session.add(registration)
    session.flush()
    record(session, RegistrationChanged(registration.id, event.id, by_registrant=True))
    if registrant.kind == "local":
        _tell_registrant(session, registration, occurrence, now)
    logger.info("registration %s on occurrence %s: %s", registration.id, occurrence_id, status)
    return RegistrationResult(registration)


def _queue_moment(session: Session, occurrence_id: int, now: datetime) -> datetime:
    """The registrant's place in the first-come order, taken under the occurrence lock: never
    before anyone already queued (``now`` was read before the lock was waited for), so the
    position told is the position held."""
    latest = session.scalar(select(func.max(Registration.queued_at)).where(
        Registration.occurrence_id == occurrence_id,
        Registration.status == RegistrationStatus.WAITLISTED))
    if latest is not None and latest.tzinfo is None:
        latest = latest.replace(tzinfo=now.tzinfo)
    return now if latest is None or latest < now else latest + timedelta(microseconds=1)


def _tell_registrant(session: Session, registration: Registration, occurrence: EventOccurrence,
                     now: datetime) -> None:
    """The member's confirmation (with the event's calendar file) or waitlist notice."""
    event = occurrence.event
    confirmed = registration.status == RegistrationStatus.CONFIRMED
    runtime = session.info.get(RUNTIME_INFO_KEY)
    ics = (ical.event_ics(event, runtime.node_id).decode("utf-8")
           if confirmed and runtime is not None else None)
    notify(session, session.get(Member, registration.member_id),
           "registration.confirmed" if confirmed else "registration.waitlisted",
           link=f"/events/{event.id}", params={"title": event.title, "starts_at": occurrence.start_at,
                                              "tz": event.timezone}, ics=ics, now=now)


def fill_seats(session: Session, occurrence_id: int, now: datetime,
               offer_ttl: timedelta = DEFAULT_OFFER_TTL) -> list[Registration]:
    """Offer free seats to the waitlist in order; returns the new offers (to notify)."""
    occurrence = lock_occurrence(session, occurrence_id)
    if occurrence.is_cancelled or occurrence.event.status != EventStatus.PUBLISHED or occurrence.start_at <= now:
        return []
    free = None if occurrence.capacity is None else occurrence.capacity - seats_taken(session, occurrence_id)
    query = (select(Registration)
             .where(Registration.occurrence_id == occurrence_id, Registration.status == RegistrationStatus.WAITLISTED)
             .order_by(Registration.queued_at, Registration.id))
    if free is not None:
        if free <= 0:
            return []
        query = query.limit(free)
    offers = list(session.scalars(query))
    deadline = min(now + offer_ttl, occurrence.start_at)
    for registration in offers:
        registration.status = RegistrationStatus.OFFERED
        registration.offer_expires_at = deadline
        record(session, RegistrationChanged(registration.id, registration.event_id))
        if registration.registrant_kind == "local":
            notify(session, session.get(Member, registration.member_id), "registration.offered",
                   link=f"/events/{occurrence.event_id}",
                   params={"title": occurrence.event.title, "starts_at": occurrence.start_at,
                           "deadline_at": deadline, "tz": occurrence.event.timezone}, now=now)
    session.flush()
    return offers


def cancel_registration(session: Session, registration: Registration, now: datetime,
                        offer_ttl: timedelta = DEFAULT_OFFER_TTL) -> list[Registration]:
    """Give up a seat, an offer or a waitlist place; a freed seat goes to the next in line."""
    lock_occurrence(session, registration.occurrence_id)
    session.refresh(registration)
    if registration.status not in ACTIVE:
        raise Conflict(N_("This registration is already cancelled."), code="not_registered")
    freed = registration.holds_seat
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = now
    registration.offer_expires_at = None
    session.flush()
    record(session, RegistrationChanged(registration.id, registration.event_id, by_registrant=True))
    return fill_seats(session, registration.occurrence_id, now, offer_ttl) if freed else []


def set_listing(session: Session, registration: Registration, is_listed: bool) -> Registration:
    """A member shows or hides their name in the attendee list other members see."""
    if registration.registrant_kind != "local":
        raise ValidationError(N_("Only members of the space are listed by name."))
    registration.is_listed = is_listed
    session.flush()
    return registration


def confirm_offer(session: Session, registration: Registration, now: datetime) -> Registration:
    """Accept a seat offered from the waitlist before its deadline."""
    lock_occurrence(session, registration.occurrence_id)
    session.refresh(registration)
    if registration.status != RegistrationStatus.OFFERED:
        raise Conflict(N_("There is no seat offer to confirm."), code="no_offer")
    if registration.offer_expires_at <= now:
        raise Conflict(N_("The offer has expired."), code="offer_expired")
    registration.status = RegistrationStatus.CONFIRMED
    registration.confirmed_at = now
    registration.offer_expires_at = None
    session.flush()
    record(session, RegistrationChanged(registration.id, registration.event_id, by_registrant=True))
    return registration


def expire_offers(session: Session, now: datetime, offer_ttl: timedelta = DEFAULT_OFFER_TTL) -> list[Registration]:
    """Offers past their deadline lapse; each seat passes to the next in line.

    Returns the new offers, to notify. Run by ``coworknet events tick`` and the scheduler."""
    occurrence_ids = sorted(set(session.scalars(
        select(Registration.occurrence_id)
        .where(Registration.status == RegistrationStatus.OFFERED, Registration.offer_expires_at <= now)
    )))
    offers: list[Registration] = []
    for occurrence_id in occurrence_ids:
        lock_occurrence(session, occurrence_id)
        lapsed = session.scalars(
            select(Registration).where(Registration.occurrence_id == occurrence_id,
                                       Registration.status == RegistrationStatus.OFFERED,
                                       Registration.offer_expires_at <= now)
            .execution_options(populate_existing=True)
        ).all()
        for registration in lapsed:
            registration.status = RegistrationStatus.EXPIRED
            registration.offer_expires_at = None
            record(session, RegistrationChanged(registration.id, registration.event_id))
        session.flush()
        logger.info("%d offer(s) expired on occurrence %s", len(lapsed), occurrence_id)
        offers += fill_seats(session, occurrence_id, now, offer_ttl)
    return offers


# --- lookups for members and managers ---------------------------------------------------------

def is_mailed_here(session: Session, registration: Registration) -> bool:
    """Only our own active members and guests are mailed from here: a remote registrant's node
    tells them (an e-mail they shared with the host is for the host's attendee list, not for a
    second mail), and a suspended member gets no mail, as with the digest and introductions."""
    if registration.registrant_kind == "guest":
        return bool(registration.email)
    if registration.registrant_kind != "local" or not registration.email:
        return False
    member = session.get(Member, registration.member_id) if registration.member_id else None
    return member is not None and member.is_active


def get_registration(session: Session, registration_id: int) -> Registration:
    registration = session.get(Registration, registration_id)
    if registration is None:
        raise NotFound(N_("No such registration."))
    return registration


def member_registration(session: Session, occurrence_id: int, member: Member) -> Registration | None:
    return session.scalar(
        select(Registration).where(Registration.occurrence_id == occurrence_id,
                                   Registration.idempotency_key == f"member:{member.id}")
    )


def require_member_registration(session: Session, occurrence_id: int, member: Member) -> Registration:
    registration = member_registration(session, occurrence_id, member)
    if registration is None:
        raise NotFound(N_("You are not registered."))
    return registration


def member_registrations(session: Session, member: Member, *, since: datetime | None = None,
                         active_only: bool = True) -> list[Registration]:
    query = (select(Registration).join(EventOccurrence)
             .where(Registration.member_id == member.id).order_by(EventOccurrence.start_at))
    if active_only:
        query = query.where(Registration.status.in_(ACTIVE))
    if since is not None:
        query = query.where(EventOccurrence.end_at >= since)
    return list(session.scalars(query))


def attendees(session: Session, occurrence_id: int) -> list[Registration]:
    """Everyone registered: seats first, then the waitlist in order, then the rest."""
    rank = {RegistrationStatus.CONFIRMED: 0, RegistrationStatus.OFFERED: 1,
            RegistrationStatus.WAITLISTED: 2, RegistrationStatus.CANCELLED: 3,
            RegistrationStatus.EXPIRED: 4}
    rows = session.scalars(select(Registration).where(Registration.occurrence_id == occurrence_id)
                           .order_by(Registration.queued_at, Registration.id)).all()
    return sorted(rows, key=lambda r: rank[r.status])


def mark_attendance(session: Session, registration: Registration, attendance: str | None) -> Registration:
    """Record present / no-show (or clear it) for a confirmed registration."""
    if registration.status != RegistrationStatus.CONFIRMED:
        raise ValidationError(N_("Only confirmed registrations have an attendance."),
                              fields={"attendance": [N_("Only confirmed registrations have an attendance.")]})
    registration.attendance = attendance
    session.flush()
    return registration


def record_attendance(session: Session, occurrence_id: int, present_ids: list[int]) -> int:
    """The whole attendance of a date at once: the confirmed registrations in ``present_ids``
    were present, the other confirmed ones did not come. Returns how many were present."""
    confirmed = session.scalars(select(Registration).where(
        Registration.occurrence_id == occurrence_id, Registration.status == RegistrationStatus.CONFIRMED)).all()
    wanted = set(present_ids)
    if not wanted <= {r.id for r in confirmed}:
        raise ValidationError(N_("Only confirmed registrations have an attendance."),
                              fields={"present_ids": [N_("Only confirmed registrations have an attendance.")]})
    for registration in confirmed:
        registration.attendance = "present" if registration.id in wanted else "no_show"
    session.flush()
    return len(wanted)


def attendees_csv(rows: list[Registration], tz, labels: dict[str, str], headers: list[str]) -> bytes:
    """The attendee list as CSV for spreadsheets: UTF-8 with a BOM so Excel reads accents."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([
            row.display_name, row.email or "", labels.get(row.status, row.status),
            labels.get(row.attendance or "", ""), row.remote_node_id or "",
            row.queued_at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if row.queued_at else "",
        ])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
