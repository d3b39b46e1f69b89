"""Federation state of one node: its key records, its peers, its signed outbox feed, the copies
it pulled from peers, the nonces and inbox messages it has seen, and its outgoing deliveries.

Protocol times (key validity, backoff, nonce expiry) are integer milliseconds since the UNIX
epoch (``*_ms``), as on the wire; bookkeeping times are aware datetimes (``*_at``).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..orm import Base, UTCDateTime, utcnow

NODE_ID_LENGTH = 255
OBJECT_ID_LENGTH = 500

# Peer states (docs/PROTOCOL.md §7.1).
REQUESTED_BY_US = "requested_by_us"
PENDING_APPROVAL = "pending_approval"
APPROVED = "approved"
SUSPENDED = "suspended"
REMOVED = "removed"
PEER_STATUSES = (REQUESTED_BY_US, PENDING_APPROVAL, APPROVED, SUSPENDED, REMOVED)

# Outgoing delivery states.
DELIVERY_PENDING = "pending"
DELIVERY_DONE = "delivered"
DELIVERY_DEAD = "dead"


class NodeKey(Base):
    """A public key of this node: the current one, rotated-out ones and revoked ones.

    The private half of the current key lives in the instance folder, never here; the records
    are in the database so that every worker serves the same node document.
    """

    __tablename__ = "node_keys"

    key_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    public_key: Mapped[str] = mapped_column(String(64))
    is_current: Mapped[bool] = mapped_column(Boolean, default=False)
    valid_from_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    expired_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    revoked_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    endorsement: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Peer(Base):
    """Another node, as known here: identity, trust, sync cursor and delivery backoff."""

    __tablename__ = "peers"

    id: Mapped[int] = mapped_column(primary_key=True)
    node_id: Mapped[str] = mapped_column(String(NODE_ID_LENGTH), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(200), default="")
    region: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(24), index=True)
    # Known-good key records, JSON {key_id: {key, valid_from, valid_until, revoked_at}}.
    keys_json: Mapped[str] = mapped_column(Text, default="{}")
    pinned_key_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    document_fetched_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    document_cache_until_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    # Sync cursor: the last seq of this peer's feed applied here, committed with the items.
    last_applied_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    resync_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # federation.client.PeerBackoff, persisted.
    backoff_failures: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    # When the peer last sent a ``feed.hint`` not yet followed by a pull (0: none): the
    # scheduler's short loop pulls it; twenty hints before that pull are one pull.
    pull_requested_ms: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The peer's clock minus ours (ms), measured when it refused a request of ours for its
    # date (``expired_signature`` with ``server_time_ms``); cleared by a later delivery.
    clock_skew_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    clock_skew_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # We approved a request: our own peering request must still reach them to confirm.
    needs_confirmation: Mapped[bool] = mapped_column(Boolean, default=False)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def is_approved(self) -> bool:
        return self.status == APPROVED

    @property
    def next_attempt_at(self) -> datetime | None:
        """When the backoff lets us contact this peer again (None: now)."""
        if not self.backoff_failures or not self.next_attempt_ms:
            return None
        return datetime.fromtimestamp(self.next_attempt_ms / 1000, UTC)


class FeedEntry(Base):
    """One signed item of this node's outbox feed. ``seq`` is the feed cursor.

    ``recipient`` NULL means every approved peer; a node id means only that peer.
    """

    __tablename__ = "feed_items"
    __table_args__ = (
        Index("ix_feed_items_object_recipient", "object_id", "recipient"),
        {"sqlite_autoincrement": True},
    )

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    item_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(OBJECT_ID_LENGTH))
    recipient: Mapped[str | None] = mapped_column(String(NODE_ID_LENGTH), nullable=True, index=True)
    is_deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    item_json: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class FeedCopy(Base):
    """The latest verified item of a peer's object held here (a tombstone keeps no content).

    Guards ordering: an item whose seq is not above the stored one is ignored, so a delete that
    arrived first is never resurrected by an older create.
    """

    __tablename__ = "feed_copies"
    # The unique index serves lookups by peer too (its leading column): no index of its own.
    __table_args__ = (UniqueConstraint("peer_node_id", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    peer_node_id: Mapped[str] = mapped_column(String(NODE_ID_LENGTH))
    object_id: Mapped[str] = mapped_column(String(OBJECT_ID_LENGTH))
    item_type: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(BigInteger)
    is_deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    item_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SeenNonce(Base):
    """A request nonce already used by a signer; shared by every worker through the database."""

    __tablename__ = "federation_nonces"
    __table_args__ = (UniqueConstraint("signer", "nonce"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    signer: Mapped[str] = mapped_column(String(NODE_ID_LENGTH))
    nonce: Mapped[str] = mapped_column(String(64))
    expires_ms: Mapped[int] = mapped_column(BigInteger, index=True)


class InboxReceipt(Base):
    """An inbox message handled here and the answer given, so a retry gets the same answer."""

    __tablename__ = "inbox_receipts"
    __table_args__ = (UniqueConstraint("origin", "message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    origin: Mapped[str] = mapped_column(String(NODE_ID_LENGTH))
    message_id: Mapped[str] = mapped_column(String(OBJECT_ID_LENGTH))
    message_type: Mapped[str] = mapped_column(String(64))
    answer_json: Mapped[str] = mapped_column(Text, default="{}")
    status_code: Mapped[int] = mapped_column(Integer, default=202)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class OutboxMessage(Base):
    """An inbox message to deliver to a peer, retried with backoff until delivered, refused
    for good by the peer, or past ``deliver_until_ms`` (then dead, and its feature's
    ``on_undeliverable`` handler tells the person concerned: docs/PROTOCOL.md §7.5)."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    destination: Mapped[str] = mapped_column(String(NODE_ID_LENGTH), index=True)
    message_id: Mapped[str] = mapped_column(String(OBJECT_ID_LENGTH), unique=True)
    message_type: Mapped[str] = mapped_column(String(64))
    content_json: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=DELIVERY_PENDING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    #: Transient failures are retried until this moment (ms), set by the sender per message
    #: (a registration: until its session starts); never later than the inbox retention.
    deliver_until_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    #: Until when (ms) one worker holds this row to send it (inbox.claim): never sent by two
    #: at once; NULL or past: free.
    claimed_until_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    answer_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class FederationLock(Base):
    """A named lease held by one process (the sync round), shared through the database."""

    __tablename__ = "federation_locks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(120), default="")
    expires_ms: Mapped[int] = mapped_column(BigInteger, default=0)


class FederationSetting(Base):
    """Small persistent values of the federation layer (e.g. the feed retention floor)."""

    __tablename__ = "federation_settings"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class RateLimitBucket(Base):
    """A fixed-window request counter shared by every worker (e.g. peering requests per
    source address, and for everyone): ``count`` requests since ``window_start_ms``."""

    __tablename__ = "federation_rate_limits"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    window_start_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    count: Mapped[int] = mapped_column(Integer, default=0)


# --- periodic jobs (was node/models/jobs.py) ---
# The state of the node's periodic jobs (``node.federation.jobs``): when each last ran, how it
# ended, and since when it keeps failing. One row per job name, created the first time a
# scheduler sees the job.

#: Outcomes of a run (``last_outcome``); empty until the job first ran.
JOB_OK = "ok"
JOB_ERROR = "error"


class JobState(Base):
    """Last run and last outcome of one periodic job, shared by every process of the node."""

    __tablename__ = "periodic_jobs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_outcome: Mapped[str] = mapped_column(String(16), default="")
    last_summary: Mapped[str] = mapped_column(String(500), default="")
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)


#: ``PeerSource.source`` of a peering a manager made by hand (else: a network's object id).
MANUAL = "manual"


class PeerSource(Base):
    """Why a peer is peered: ``manual`` (a manager approved it) or a network's object id
    (node/rosters). A network unpeers a node only when no other source is left; what our
    directory shares with a peer follows its sources (node/network/audience.py)."""

    __tablename__ = "rosters_peer_sources"
    __table_args__ = (UniqueConstraint("peer_node_id", "source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    peer_node_id: Mapped[str] = mapped_column(String(255), index=True)
    source: Mapped[str] = mapped_column(String(500))
