"""Visiting agreements, the passes this node issued, the visits it hosted or its members made,
and the revocations its peers published."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..members.models import Member
from ..orm import Base, UTCDateTime, utcnow


class AgreementStatus(StrEnum):
    OFFERED = "offered"
    ACTIVE = "active"
    DECLINED = "declined"
    ENDED = "ended"


class VisitDirection(StrEnum):
    HOSTED = "hosted"  # a member of the peer came to our space (we gave a day)
    MADE = "made"  # one of our members went to the peer's space (we received a day)


class PassAgreement(Base):
    """A visiting agreement with one peer; both sides hold the same terms, signed by the
    offerer in its ``pass.agreement`` offer (``offer_json``)."""

    __tablename__ = "pass_agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[str] = mapped_column(String(300), unique=True)
    peer_node_id: Mapped[str] = mapped_column(String(255), index=True)
    offered_by_us: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16), default=AgreementStatus.OFFERED)
    terms: Mapped[str] = mapped_column(Text)  # canonical JSON of the terms
    offer_json: Mapped[str] = mapped_column(Text)  # the signed offer message, as sent/received
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IssuedPass(Base):
    """A pass this node signed for one of its members (kept to renew, revoke and match visits)."""

    __tablename__ = "pass_issued"

    id: Mapped[int] = mapped_column(primary_key=True)
    pass_id: Mapped[str] = mapped_column(String(16), unique=True)
    # NULL once the member's account is erased: the pass is then revoked on the feed and the
    # row deleted (:func:`node.passes.revocations.upkeep`).
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), index=True)
    host: Mapped[str | None] = mapped_column(String(255))  # None: any host with an agreement
    subject: Mapped[str] = mapped_column(String(16), index=True)
    show_name: Mapped[bool] = mapped_column(Boolean, default=False)
    photo: Mapped[bool] = mapped_column(Boolean, default=False)
    code: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)

    member: Mapped[Member | None] = relationship(foreign_keys=[member_id])


class PassVisit(Base):
    """One visit: hosted here (a peer's member) or made by one of our members at a peer."""

    __tablename__ = "pass_visits"
    __table_args__ = (UniqueConstraint("visit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[str] = mapped_column(String(300))
    direction: Mapped[str] = mapped_column(String(16), index=True)
    peer_node_id: Mapped[str] = mapped_column(String(255), index=True)
    pass_id: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(16))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), index=True)
    shown_name: Mapped[str] = mapped_column(String(120), default="")
    day: Mapped[date] = mapped_column(Date, index=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))


class PassRevocation(Base):
    """A peer withdrew one of its members' passes (its ``pass.revocation`` feed item)."""

    __tablename__ = "pass_revocations"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(255), index=True)
    subject: Mapped[str] = mapped_column(String(16))
    pass_ids: Mapped[str] = mapped_column(Text, default="")  # space-separated
    reason: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PassSettlement(Base):
    """A month's balance with a peer turned into a barter ledger entry (once)."""

    __tablename__ = "pass_settlements"
    __table_args__ = (UniqueConstraint("peer_node_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    peer_node_id: Mapped[str] = mapped_column(String(255))
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    days: Mapped[int] = mapped_column(Integer)
    barter_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("connector_barter_entries.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PassKiosk(Base):
    """A kiosk session a manager opened on a tablet at the entrance: it may only check passes
    and record visits. The browser holds the clear token; only its hash is stored."""

    __tablename__ = "pass_kiosks"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    opened_by: Mapped[Member] = relationship(foreign_keys=[opened_by_id])
