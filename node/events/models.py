"""Events at a space: venues, events and their occurrences, hosts, registrations,
member-led workshop proposals, drop-in check-ins and personal calendar feeds.

An event always has at least one occurrence: registrations, capacity and the waitlist
belong to the occurrence, so a one-off event and each date of a recurring series work the
same way. Registrations may come from a local member or from a person of another node
(``registrant_kind = "remote"``), so that joint regional events reuse the same code.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..orm import Base, UTCDateTime, utcnow

EVENT_TYPES = (
    "aperitif", "atelier", "formation", "debat", "degustation", "cinq_a_sept", "soiree_jeux",
    "conference", "journee_coworking", "autre",
)


class EventStatus(StrEnum):
    """An event's status; the values are what the ``events.status`` column holds."""

    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class RegistrationStatus(StrEnum):
    """A registration's status; the values are what ``registrations.status`` holds.
    ``offered``: a freed seat is held for a waitlisted person until ``offer_expires_at``."""

    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    OFFERED = "offered"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


EVENT_STATUSES = tuple(status.value for status in EventStatus)
AUDIENCES = ("space", "network", "public")
VENUE_KINDS = ("room", "external")
#: ``guest``: a person without an account, registered to a public event by name and e-mail
#: (``node/events/guests.py``); erased some days after the date.
REGISTRANT_KINDS = ("local", "remote", "guest")
REGISTRATION_STATUSES = tuple(status.value for status in RegistrationStatus)
SEAT_HOLDING = (RegistrationStatus.CONFIRMED.value, RegistrationStatus.OFFERED.value)
ATTENDANCE = ("present", "no_show")
PROPOSAL_STATUSES = ("pending", "changes_requested", "approved", "declined", "withdrawn")
CHECKIN_PERIODS = ("morning", "afternoon", "day")


class Venue(Base):
    """A room of the space or an external address (for pop-up days elsewhere)."""

    __tablename__ = "venues"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16), default="room")
    address: Mapped[str] = mapped_column(String(255), default="")
    capacity: Mapped[int | None] = mapped_column(Integer)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def label(self) -> str:
        return f"{self.name}, {self.address}" if self.address else self.name


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint("end_at > start_at", name="end_after_start"),
        CheckConstraint("capacity IS NULL OR capacity >= 1", name="capacity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stable iCalendar UID, also the id peers see for joint events.
    uid: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(160))
    description: Mapped[str] = mapped_column(Text, default="")
    type: Mapped[str] = mapped_column(String(32), default="autre")
    status: Mapped[str] = mapped_column(String(16), default=EventStatus.DRAFT, index=True)
    audience: Mapped[str] = mapped_column(String(16), default="space")
    #: First occurrence (the series' DTSTART), UTC; ``timezone`` is the IANA zone it lives in.
    start_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    venue_id: Mapped[int | None] = mapped_column(ForeignKey("venues.id", ondelete="SET NULL"))
    address: Mapped[str] = mapped_column(String(255), default="")
    capacity: Mapped[int | None] = mapped_column(Integer)
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    price_info: Mapped[str] = mapped_column(String(255), default="")
    #: RFC 5545 RRULE value (without ``RRULE:``), expanded in ``timezone``.
    rrule: Mapped[str | None] = mapped_column(String(255))
    #: Bumped on every change a calendar must pick up (iCalendar SEQUENCE).
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The organisers' word to the people registered when they cancelled it ("" when none).
    cancel_reason: Mapped[str] = mapped_column(Text, default="", server_default="")

    venue: Mapped[Venue | None] = relationship(lazy="joined")
    hosts: Mapped[list[EventHost]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="EventHost.member_id"
    )
    occurrences: Mapped[list[EventOccurrence]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="EventOccurrence.start_at"
    )
    rotation: Mapped[list[EventVenueRotation]] = relationship(
        cascade="all, delete-orphan", order_by="EventVenueRotation.position"
    )

    @property
    def is_recurring(self) -> bool:
        return bool(self.rrule)

    @property
    def host_ids(self) -> list[int]:
        return [host.member_id for host in self.hosts]


class EventHost(Base):
    __tablename__ = "event_hosts"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)

    event: Mapped[Event] = relationship(back_populates="hosts")


class EventVenueRotation(Base):
    """The venues a recurring event visits in turn: occurrence n is at position n mod len."""

    __tablename__ = "event_venue_rotation"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"))


class EventOccurrence(Base):
    """One date of an event; the unit of registration, capacity and attendance.

    ``original_start_at`` is the date the rule produced (the iCalendar RECURRENCE-ID);
    ``start_at``/``end_at``/``venue_id``/``capacity`` are the effective values, recomputed from
    the event unless ``is_modified`` (a per-occurrence change made by the manager)."""

    __tablename__ = "event_occurrences"
    __table_args__ = (
        UniqueConstraint("event_id", "original_start_at"),
        CheckConstraint("end_at > start_at", name="end_after_start"),
        CheckConstraint("capacity IS NULL OR capacity >= 1", name="capacity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    original_start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    venue_id: Mapped[int | None] = mapped_column(ForeignKey("venues.id", ondelete="SET NULL"))
    capacity: Mapped[int | None] = mapped_column(Integer)
    is_modified: Mapped[bool] = mapped_column(Boolean, default=False)
    is_cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Written under the registration lock: serialises registrations on SQLite.
    lock_version: Mapped[int] = mapped_column(Integer, default=0)

    event: Mapped[Event] = relationship(back_populates="occurrences")
    venue: Mapped[Venue | None] = relationship(lazy="joined")


class Registration(Base):
    """A seat (or a place in the waitlist) of one occurrence, for a local or a remote person."""

    __tablename__ = "event_registrations"
    __table_args__ = (
        UniqueConstraint("occurrence_id", "idempotency_key"),
        CheckConstraint(
            "(registrant_kind = 'local' AND member_id IS NOT NULL) OR "
            "(registrant_kind = 'remote' AND remote_node_id IS NOT NULL AND remote_ref IS NOT NULL) OR "
            "(registrant_kind = 'guest' AND member_id IS NULL)",
            name="registrant_identified",
        ),
        Index("ix_event_registrations_occurrence_status", "occurrence_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(ForeignKey("event_occurrences.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    registrant_kind: Mapped[str] = mapped_column(String(8), default="local")
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    remote_node_id: Mapped[str | None] = mapped_column(String(255))
    remote_ref: Mapped[str | None] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    #: ``member:<id>`` for members, chosen by the sender for remote registrations.
    idempotency_key: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))
    #: First-come-first-served order of the waitlist.
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attendance: Mapped[str | None] = mapped_column(String(16))
    #: The member chose to be listed by name among the attendees other members see.
    is_listed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    occurrence: Mapped[EventOccurrence] = relationship(lazy="joined")
    event: Mapped[Event] = relationship()

    @property
    def holds_seat(self) -> bool:
        return self.status in SEAT_HOLDING


class WorkshopProposal(Base):
    """A member proposes a workshop; the manager approves, asks for changes or declines."""

    __tablename__ = "workshop_proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(160))
    description: Mapped[str] = mapped_column(Text, default="")
    type: Mapped[str] = mapped_column(String(32), default="atelier")
    proposed_start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    proposed_end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    capacity: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(24), default="pending", index=True)
    manager_comment: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CheckIn(Base):
    """A drop-in day at the space: one row per member and local day."""

    __tablename__ = "checkins"
    __table_args__ = (UniqueConstraint("member_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    period: Mapped[str] = mapped_column(String(16))
    checked_in_at: Mapped[datetime] = mapped_column(UTCDateTime)
    checked_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))


class CalendarFeedToken(Base):
    """The secret of a member's personal "my events" feed (only its hash is stored)."""

    __tablename__ = "calendar_feed_tokens"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
