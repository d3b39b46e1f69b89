"""This node's outbox feed: publish signed items, serve pages to peers, compact, retain.

Sequence numbers come from the ``feed_items`` primary key (a sequence on PostgreSQL, an
AUTOINCREMENT rowid on SQLite), assigned in the publishing transaction. Publishers are
serialised until commit (a transaction-level advisory lock on PostgreSQL; SQLite has a single
writer), so seq order is commit order and a reader can never skip an item committed late.
Timestamps are never cursors.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from federation.canonical import canonical_dumps, canonical_loads
from federation.feed import FeedPage, build_feed_page
from federation.messages import build_feed_item, make_object_id
from federation.nodeid import normalize_node_id

from ..models import FederationSetting, FeedEntry
from ..models.base import utcnow
from .keyring import runtime_of

logger = logging.getLogger(__name__)

#: Tombstones are kept at least this long; a reader whose cursor is older resynchronises.
TOMBSTONE_RETENTION = timedelta(days=30)
RETENTION_FLOOR = "feed_retention_floor_seq"
_PUBLISH_LOCK_ID = 0x636F776B  # "cowk": the PostgreSQL advisory lock serialising publishers


def publish(
    session: Session,
    *,
    item_type: str,
    local_id: str,
    content: dict | None = None,
    deleted: bool = False,
    recipient: str | None = None,
) -> FeedEntry:
    """Append a signed item for our object ``local_id`` (a tombstone when ``deleted``), for
    every approved peer (``recipient`` None) or one peer. Older items of the same object and
    recipient are compacted away. Flushes; the caller commits with its own change."""
    runtime = runtime_of(session)
    object_id = make_object_id(runtime.node_id, local_id)
    recipient = normalize_node_id(recipient) if recipient is not None else None
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PUBLISH_LOCK_ID})
    entry = FeedEntry(item_type=item_type, object_id=object_id, recipient=recipient,
                      is_deleted=deleted, item_json="")
    session.add(entry)
    session.flush()
    item = build_feed_item(owner=runtime.node_id, seq=entry.seq, item_type=item_type,
                           object_id=object_id, key=runtime.signing_key(),
                           content=None if deleted else content, deleted=deleted)
    entry.item_json = canonical_dumps(item).decode("utf-8")
    same_recipient = (FeedEntry.recipient.is_(None) if recipient is None
                      else FeedEntry.recipient == recipient)
    session.execute(delete(FeedEntry).where(
        FeedEntry.object_id == object_id, same_recipient, FeedEntry.seq < entry.seq))
    session.flush()
    return entry


def latest_seq(session: Session) -> int:
    return session.scalar(select(func.max(FeedEntry.seq))) or 0


def retention_floor(session: Session) -> int:
    row = session.get(FederationSetting, RETENTION_FLOOR)
    return row.value if row else 0


def feed_page(session: Session, reader: str, after: int, limit: int) -> FeedPage:
    """The page of items after ``after`` that ``reader`` may see (shared or addressed to it)."""
    rows = session.scalars(
        select(FeedEntry)
        .where(FeedEntry.seq > after,
               (FeedEntry.recipient.is_(None)) | (FeedEntry.recipient == reader))
        .order_by(FeedEntry.seq)
        .limit(limit + 1)
    ).all()
    items = [canonical_loads(row.item_json.encode("utf-8")) for row in rows]
    return build_feed_page(items, after=after, limit=limit, latest_seq=latest_seq(session),
                           retention_floor_seq=retention_floor(session))


def purge_tombstones(session: Session, now: datetime | None = None) -> int:
    """Drop tombstones older than the retention period; raise the retention floor so readers
    whose cursor predates them resynchronise from scratch. Returns how many."""
    cutoff = (now or utcnow()) - TOMBSTONE_RETENTION
    old = select(FeedEntry.seq).where(FeedEntry.is_deleted.is_(True), FeedEntry.created_at < cutoff)
    highest = session.scalar(select(func.max(old.subquery().c.seq)))
    if highest is None:
        return 0
    result = session.execute(delete(FeedEntry).where(
        FeedEntry.is_deleted.is_(True), FeedEntry.created_at < cutoff))
    row = session.get(FederationSetting, RETENTION_FLOOR)
    if row is None:
        session.add(FederationSetting(name=RETENTION_FLOOR, value=highest))
    else:
        row.value = max(row.value, highest)
    session.flush()
    return result.rowcount or 0
