"""The community connector: needs and answers, the manager's queue, network requests and
answers, referrals with their deal value, barter entries, digest and dashboard settings."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..members.models import Member
from ..orm import Base, UTCDateTime, utcnow

NEED_STATUSES = ("open", "closed")
QUEUE_STATES = ("new", "matched", "introduced", "done", "no_match")
QUEUE_KINDS = ("need", "introduction", "network")
CONSENT_STATES = ("pending", "accepted", "declined")
REFERRAL_STATUSES = ("proposed", "acknowledged")
BARTER_UNITS = ("pass", "day", "package")
BARTER_DIRECTIONS = ("given", "received")


class Need(Base):
    """A member's need posted on the space's board."""

    __tablename__ = "connector_needs"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    #: The thesaurus concepts the text names, used to suggest members and to escalate.
    concept_ids: Mapped[list] = mapped_column(JSON, default=list)
    budget_cents: Mapped[int | None] = mapped_column(Integer)
    deadline: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    outcome: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    author: Mapped[Member] = relationship(foreign_keys=[author_id])
    answers: Mapped[list[NeedAnswer]] = relationship(
        back_populates="need", cascade="all, delete-orphan", order_by="NeedAnswer.id"
    )


class NeedAnswer(Base):
    __tablename__ = "connector_need_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("connector_needs.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    need: Mapped[Need] = relationship(back_populates="answers")
    member: Mapped[Member] = relationship()


class QueueItem(Base):
    """One entry of the manager's connector queue: a need, a member's introduction request,
    or a request escalated to us by a peer (``kind == "network"``)."""

    __tablename__ = "connector_queue_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    state: Mapped[str] = mapped_column(String(16), default="new", index=True)
    need_id: Mapped[int | None] = mapped_column(
        ForeignKey("connector_needs.id", ondelete="CASCADE"), unique=True
    )
    requester_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    concept_ids: Mapped[list] = mapped_column(JSON, default=list)
    #: For a network request: the peer that sent it and its request id (idempotency key).
    origin_peer: Mapped[str | None] = mapped_column(String(255))
    remote_request_id: Mapped[str | None] = mapped_column(String(300), unique=True)
    origin_space: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    need: Mapped[Need | None] = relationship()
    requester: Mapped[Member | None] = relationship(foreign_keys=[requester_id])
    candidates: Mapped[list[Candidate]] = relationship(
        back_populates="item", cascade="all, delete-orphan", order_by="Candidate.id"
    )
    network_answers: Mapped[list[NetworkAnswer]] = relationship(
        back_populates="item", cascade="all, delete-orphan", order_by="NetworkAnswer.id"
    )


class Candidate(Base):
    """A local member the manager proposed for a queue item; asked for consent first."""

    __tablename__ = "connector_candidates"
    __table_args__ = (UniqueConstraint("item_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("connector_queue_items.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    consent: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: For a network item: the deal the requesting space declared with this member, in euro
    #: cents, its id there, and when this member confirmed it.
    deal_id: Mapped[str | None] = mapped_column(String(300), unique=True)
    deal_cents: Mapped[int | None] = mapped_column(Integer)
    deal_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    item: Mapped[QueueItem] = relationship(back_populates="candidates")
    member: Mapped[Member] = relationship()


class NetworkAnswer(Base):
    """A consenting candidate a peer's manager sent back for one of our escalated items."""

    __tablename__ = "connector_network_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("connector_queue_items.id", ondelete="CASCADE"), index=True)
    peer: Mapped[str] = mapped_column(String(255))
    response_id: Mapped[str] = mapped_column(String(300), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))
    headline: Mapped[str] = mapped_column(String(200), default="")
    space: Mapped[str] = mapped_column(String(200), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    item: Mapped[QueueItem] = relationship(back_populates="network_answers")


class Referral(Base):
    """X recommends Y for a need or to a client; the deal value counts once both confirmed.

    Y is a member of this space (``referee_id``) or, after a network escalation, a consenting
    member of another space (``network_answer_id``), who confirms through their own node."""

    __tablename__ = "connector_referrals"

    id: Mapped[int] = mapped_column(primary_key=True)
    referrer_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    referee_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    network_answer_id: Mapped[int | None] = mapped_column(
        ForeignKey("connector_network_answers.id", ondelete="CASCADE"), unique=True
    )
    need_id: Mapped[int | None] = mapped_column(ForeignKey("connector_needs.id", ondelete="SET NULL"))
    client: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="proposed")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Deal value in euro cents (never a float); counts only once ``value_confirmed_at`` is set.
    value_cents: Mapped[int | None] = mapped_column(Integer)
    value_declared_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    value_declared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    value_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    referrer: Mapped[Member] = relationship(foreign_keys=[referrer_id])
    referee: Mapped[Member | None] = relationship(foreign_keys=[referee_id])
    network_answer: Mapped[NetworkAnswer | None] = relationship()
    need: Mapped[Need | None] = relationship()

    @property
    def referee_name(self) -> str:
        if self.referee is not None:
            return self.referee.display_name
        answer = self.network_answer
        return f"{answer.display_name} ({answer.space})" if answer is not None else ""


class BarterEntry(Base):
    """Passes, days or packages exchanged against a service, with a member or another space.

    ``given``: the space gave units to the counterpart (the counterpart's balance rises);
    ``received``: the counterpart used or gave back units (its balance falls)."""

    __tablename__ = "connector_barter_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    peer: Mapped[str | None] = mapped_column(String(255), index=True)
    direction: Mapped[str] = mapped_column(String(16))
    unit: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[int] = mapped_column(Integer)
    service: Mapped[str] = mapped_column(String(300))
    occurred_on: Mapped[date] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    member: Mapped[Member | None] = relationship(foreign_keys=[member_id])


class ConnectorSettings(Base):
    """The space's connector settings (one row): digest switch and membership goal."""

    __tablename__ = "connector_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    goal_members: Mapped[int] = mapped_column(Integer, default=100)
    goal_regulars: Mapped[int] = mapped_column(Integer, default=60)
    regular_checkins: Mapped[int] = mapped_column(Integer, default=8)
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DigestOptOut(Base):
    __tablename__ = "connector_digest_optouts"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    opted_out_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SiblingNode(Base):
    """A peer run by the same operator: its aggregate figures show on our dashboard."""

    __tablename__ = "connector_siblings"

    node_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PeerStats(Base):
    """The latest signed ``peer.stats`` aggregates a peer published (counts and sums only)."""

    __tablename__ = "connector_peer_stats"

    peer: Mapped[str] = mapped_column(String(255), primary_key=True)
    content: Mapped[dict] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
