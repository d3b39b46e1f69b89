"""Networks (signed rosters), the join requests a coordinator decides and our own
applications (why each peer is peered, ``PeerSource``, is in node/federation/models.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

# Why a peer is peered (by hand, or through a network): ``PeerSource`` lives with the peers,
# so the directory export (a lower layer) can read it; re-exported here for the rosters.
from ..federation.models import MANUAL, PeerSource  # noqa: F401
from ..orm import Base, UTCDateTime, utcnow

# Join requests (coordinator side) and applications (joiner side).
JOIN_PENDING = "pending"
JOIN_ACCEPTED = "accepted"
JOIN_REFUSED = "refused"
APPLICATION_SENT = "sent"
APPLICATION_FAILED = "failed"
APPLICATION_MEMBER = "member"


class Network(Base):
    """A network's latest roster held here: ours (we coordinate it) or a verified copy.

    ``members_json`` is the roster's ``members`` list and ``coordinators_json`` its
    ``coordinators`` (PROTOCOL §6.1); ``publisher`` signed the version held."""

    __tablename__ = "rosters_networks"

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[str] = mapped_column(String(500), unique=True)
    slug: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    charter: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(BigInteger, default=1)
    coordinators_json: Mapped[str] = mapped_column(Text, default="[]")
    members_json: Mapped[str] = mapped_column(Text, default="[]")
    publisher: Mapped[str] = mapped_column(String(255))
    is_ours: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class JoinRequest(Base):
    """A node asked to join one of the networks we coordinate; our manager decides."""

    __tablename__ = "rosters_join_requests"
    __table_args__ = (UniqueConstraint("network_id", "node_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[str] = mapped_column(String(500), index=True)
    node_id: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default=JOIN_PENDING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Application(Base):
    """Our own request to join a network coordinated elsewhere."""

    __tablename__ = "rosters_applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[str] = mapped_column(String(500), unique=True)
    coordinator: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default=APPLICATION_SENT)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
