"""Joint regional events ("Coworking Week") co-organised by several nodes.

One table per kind of object, holding both our own objects (``is_local``) and the copies of
remote ones received through the signed feed or an invitation; ``object_id`` is the global id
(``<owner node id>/<local part>``), so the owner of any row is known and only it may change it.

- ``RegionalEvent``: the joint event, owned by its organiser.
- ``RegionalParticipant``: a node invited to co-organise (organiser side: the invitations it
  sent; invitee side: the invitation it received, and the co-organisers listed in the feed).
- ``RegionalSession``: one session of the program, owned by its host; a local session is an
  ``Event`` of this node (capacity, waitlist and hosts come from the events area).
- ``RemoteRegistration``: a registration of one of our members to a session hosted elsewhere,
  with the status the host answered; ``idempotency_key`` is reused by every retry, ``attempt``
  is the version of our latest action (register, cancel, register again) and ``host_seq`` the
  host's sequence of the latest answer applied, so a stale or replayed answer changes nothing.
- ``RemoteKeyState``: host side, per (origin node, idempotency key), the latest version of the
  sender's actions applied here (a cancel for a key never seen is kept as a tombstone), the
  host's own sequence of changes, and whether the origin's digest must be sent again.
- ``RegionalReportCount``: the aggregate figures a participant sent the organiser.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..orm import Base, UTCDateTime, utcnow

OBJECT_ID_LENGTH = 320
NODE_ID_LENGTH = 255
REGIONAL_STATUSES = ("scheduled", "cancelled")
VISIBILITIES = ("network", "public")
PARTICIPANT_STATUSES = ("invited", "accepted", "declined")
#: ``pending``: our request has not been answered by the host yet (it may be down);
#: ``undelivered``: our latest request could not reach the host before its deadline.
REMOTE_STATUSES = ("pending", "confirmed", "waitlisted", "cancelled", "refused", "undelivered")


class RegionalEvent(Base):
    __tablename__ = "regional_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    object_id: Mapped[str] = mapped_column(String(OBJECT_ID_LENGTH), unique=True)
    organiser: Mapped[str] = mapped_column(String(NODE_ID_LENGTH), index=True)
    organiser_name: Mapped[str] = mapped_column(String(200), default="")
    is_local: Mapped[bool] = mapped_column(Boolean, default=False)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    region: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(16), default="meetup")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    visibility: Mapped[str] = mapped_column(String(16), default="network")
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def is_public(self) -> bool:
        return self.visibility == "public"


class RegionalParticipant(Base):
    __tablename__ = "regional_participants"
    __table_args__ = (UniqueConstraint("regional_event_id", "node_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    regional_event_id: Mapped[int] = mapped_column(
        ForeignKey("regional_events.id", ondelete="CASCADE"), index=True)
    node_id: Mapped[str] = mapped_column(String(NODE_ID_LENGTH))
    name: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16), default="invited")
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RegionalSession(Base):
    __tablename__ = "regional_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    object_id: Mapped[str] = mapped_column(String(OBJECT_ID_LENGTH), unique=True)
    #: Global id of the regional event (a session may arrive before its event's copy).
    regional_event_object_id: Mapped[str] = mapped_column(String(OBJECT_ID_LENGTH), index=True)
    host: Mapped[str] = mapped_column(String(NODE_ID_LENGTH), index=True)
    host_name: Mapped[str] = mapped_column(String(200), default="")
    is_local: Mapped[bool] = mapped_column(Boolean, default=False)
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("events.id", ondelete="SET NULL"), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(16), default="other")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    venue_name: Mapped[str] = mapped_column(String(200), default="")
    venue_city: Mapped[str] = mapped_column(String(200), default="")
    venue_address: Mapped[str] = mapped_column(String(300), default="")
    capacity: Mapped[int | None] = mapped_column(Integer)
    seats_left: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class RemoteRegistration(Base):
    __tablename__ = "regional_remote_registrations"
    __table_args__ = (UniqueConstraint("session_object_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_object_id: Mapped[str] = mapped_column(String(OBJECT_ID_LENGTH), index=True)
    host: Mapped[str] = mapped_column(String(NODE_ID_LENGTH))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    share_email: Mapped[bool] = mapped_column(Boolean, default=False)
    #: What we last asked the host (register/cancel) and how many messages we sent.
    action: Mapped[str] = mapped_column(String(16), default="register")
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    position: Mapped[int | None] = mapped_column(Integer)
    #: The host's sequence of the latest answer applied (0: none carried one yet).
    host_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class RemoteKeyState(Base):
    """Host side: what we applied of one remote registrant's actions (docs/PROTOCOL.md §6.2).

    ``version`` is the highest action version applied (an older one is ignored); a row
    without a registration behind it is a tombstone (a cancel that arrived first). ``seq``
    grows with every change of the registration here, and is sent with every answer."""

    __tablename__ = "regional_remote_keys"
    __table_args__ = (UniqueConstraint("origin", "idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    origin: Mapped[str] = mapped_column(String(NODE_ID_LENGTH), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(64))
    session_object_id: Mapped[str] = mapped_column(String(OBJECT_ID_LENGTH), index=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    #: The origin's digest (``registration.digest``) must carry this change.
    digest_pending: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class RegionalReportCount(Base):
    __tablename__ = "regional_report_counts"
    __table_args__ = (UniqueConstraint("regional_event_id", "node_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    regional_event_id: Mapped[int] = mapped_column(
        ForeignKey("regional_events.id", ondelete="CASCADE"), index=True)
    node_id: Mapped[str] = mapped_column(String(NODE_ID_LENGTH))
    sessions: Mapped[int] = mapped_column(Integer, default=0)
    registrations: Mapped[int] = mapped_column(Integer, default=0)
    remote_registrations: Mapped[int] = mapped_column(Integer, default=0)
    attendance: Mapped[int] = mapped_column(Integer, default=0)
    introductions: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
