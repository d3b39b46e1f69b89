"""The network directory: what we exported to each peer, the searchable entries (peers' copies
and our own members), the concept index, and introduction requests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..orm import Base, UTCDateTime, utcnow

INTRODUCTION_DIRECTIONS = ("outgoing", "incoming")
INTRODUCTION_STATUSES = ("pending", "accepted", "declined", "expired", "cancelled")


class DirectoryExport(Base):
    """One entry of a member as sent to one peer (the per-peer export state): a named member's
    whole entry (``part`` empty) or an anonymous member's fragment for one skill (``part``: the
    concept id).

    ``member_id`` becomes NULL when the account is deleted so the tombstone can still be sent.
    """

    __tablename__ = "network_exports"
    __table_args__ = (UniqueConstraint("peer_node_id", "member_id", "part"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), index=True
    )
    peer_node_id: Mapped[str] = mapped_column(String(255))
    part: Mapped[str] = mapped_column(String(80), default="", server_default="")
    #: The feed object's local id: ``directory/<pseudonym>`` (changes with the epoch).
    local_id: Mapped[str] = mapped_column(String(120), unique=True)
    pseudonym: Mapped[str] = mapped_column(String(64))
    content_hash: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_until: Mapped[datetime] = mapped_column(UTCDateTime)


class NetworkEntry(Base):
    """A searchable entry: a peer's replicated copy (``owner`` set) or one of our members."""

    __tablename__ = "network_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Feed object id of a peer's copy; NULL for our own members.
    object_id: Mapped[str | None] = mapped_column(String(320), unique=True)
    owner: Mapped[str | None] = mapped_column(String(255), index=True)
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), unique=True
    )
    pseudonym: Mapped[str | None] = mapped_column(String(64))
    is_named: Mapped[bool] = mapped_column(Boolean, default=False)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    headline: Mapped[str] = mapped_column(String(200), default="")
    #: Space-separated ISO 639-1 codes with a leading and trailing space (" fr en ").
    languages: Mapped[str] = mapped_column(String(80), default=" ")
    open_to_help: Mapped[bool] = mapped_column(Boolean, default=False)
    open_to_paid: Mapped[bool] = mapped_column(Boolean, default=False)
    open_to_barter: Mapped[bool] = mapped_column(Boolean, default=False)
    trade_group: Mapped[str | None] = mapped_column(String(120))
    place_kind: Mapped[str] = mapped_column(String(8), default="space")
    place_value: Mapped[str] = mapped_column(String(200), default="")
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NetworkEntryConcept(Base):
    """The search index: one row per (concept, precomputed score, entry), read in score order.

    ``concept`` is a thesaurus concept id, or ``g:<group id>`` for a generalised skill.
    ``place_value`` repeats the entry's place (rows are rewritten whenever their entry is), so
    that a search filtered on one place reads the (concept, place, score) index in score order
    instead of joining every holder of the concept to its entry to reject most of them.
    """

    __tablename__ = "network_entry_concepts"
    __table_args__ = (
        Index("ix_network_entry_concepts_entry", "entry_id", "concept"),
        Index("ix_network_entry_concepts_place", "concept", "place_value", "score", "entry_id"),
    )

    concept: Mapped[str] = mapped_column(String(80), primary_key=True)
    score: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("network_entries.id", ondelete="CASCADE"), primary_key=True
    )
    level_band: Mapped[str] = mapped_column(String(16))
    is_generalised: Mapped[bool] = mapped_column(Boolean, default=False)
    place_value: Mapped[str] = mapped_column(String(200), default="", server_default="")


class Introduction(Base):
    """An introduction request, as the requester's node (outgoing) or the expert's (incoming)
    holds it. ``other_*`` is the other person: the expert once they accepted (outgoing), the
    requester (incoming)."""

    __tablename__ = "network_introductions"
    __table_args__ = (UniqueConstraint("direction", "peer_node_id", "request_uid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(String(8))
    request_uid: Mapped[str] = mapped_column(String(320))
    peer_node_id: Mapped[str] = mapped_column(String(255))
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), index=True
    )
    pseudonym: Mapped[str] = mapped_column(String(64))
    concept: Mapped[str] = mapped_column(String(120), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    other_name: Mapped[str] = mapped_column(String(120), default="")
    other_headline: Mapped[str] = mapped_column(String(200), default="")
    other_space: Mapped[str] = mapped_column(String(200), default="")
    other_email: Mapped[str] = mapped_column(String(254), default="")
    reply_message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NetworkSearchCount(Base):
    """Searches of one member in one minute (``minute`` = minutes since the epoch), shared by
    every worker of the node through the database."""

    __tablename__ = "network_search_counts"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    minute: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(Integer, default=0)


class NetworkPreference(Base):
    """A member's network settings (absent row: defaults)."""

    __tablename__ = "network_preferences"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    requests_paused: Mapped[bool] = mapped_column(Boolean, default=False)


#: What our directory shares with the peers of one peering source (a network's object id):
#: ``peers`` — as with any peer (the default, no row); ``nothing`` — no directory entry.
DIRECTORY_SHARES = ("peers", "nothing")
SHARE_AS_PEERS, SHARE_NOTHING = DIRECTORY_SHARES


class DirectoryChoice(Base):
    """Our manager's choice of what the directory shares with the peers one network (a
    ``PeerSource.source``) had us peer with. No row: as with any peer."""

    __tablename__ = "network_directory_choices"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(500), unique=True)
    share: Mapped[str] = mapped_column(String(16), default=SHARE_AS_PEERS)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
