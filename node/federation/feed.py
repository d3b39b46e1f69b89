"""This node's outbox feed: publish signed items, serve pages to peers, compact, retain.

Sequence numbers come from the ``feed_items`` primary key (a sequence on PostgreSQL, an
AUTOINCREMENT rowid on SQLite), assigned in the publishing transaction. Publishers are
serialised until commit (a transaction-level advisory lock on PostgreSQL; SQLite has a single
writer), so seq order is commit order and a reader can never skip an item committed late.
Timestamps are never cursors.

``publish`` records ``FeedPublished``; after the commit, the ``feed.hints`` reaction gives the
affected approved peers a ``feed.hint`` ("changes available") through the durable outgoing
queue, coalesced per peer (:func:`queue_feed_hints`), delivered as soon as it is due by a
background thread of the committing process (``FEDERATION_HINT_AFTER_COMMIT``), by the
scheduler's short loop when that process ended first, or by the next round when it failed. Every path that publishes (a request, the API, the CLI, a job,
a sync batch, a reaction) records ``FeedPublished`` in its session, so every one hints.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from federation.canonical import canonical_dumps, to_nfc
from federation.envelope import is_redacted
from federation.feed import FeedPage, build_encoded_feed_page
from federation.keys import now_ms
from federation.messages import FEED_HINT, build_feed_item, make_object_id
from federation.nodeid import normalize_node_id

from ..domain_events import FeedPublished, InboxMessageQueued
from ..orm import utcnow
from ..uow import Reactions, WorkContext, record
from . import inbox, keyring
from .keyring import FederationRuntime, runtime_of
from .models import (
    APPROVED,
    DELIVERY_DONE,
    DELIVERY_PENDING,
    FederationSetting,
    FeedEntry,
    NodeKey,
    OutboxMessage,
    Peer,
)

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
                           content=None if deleted else to_nfc(content), deleted=deleted)
    entry.item_json = canonical_dumps(item).decode("utf-8")
    same_recipient = (FeedEntry.recipient.is_(None) if recipient is None
                      else FeedEntry.recipient == recipient)
    session.execute(delete(FeedEntry).where(
        FeedEntry.object_id == object_id, same_recipient, FeedEntry.seq < entry.seq))
    session.flush()
    record(session, FeedPublished(recipient))
    return entry


def revoke_key(session: Session, runtime: FederationRuntime, key_id: str) -> NodeKey:
    """Revoke one of our keys (PROTOCOL §3.4): it signs nothing any more, whatever the date,
    so every item of our feed it signed is published again, signed by the current key (a
    new seq and date, the same content; the old item is compacted away), and a redacted one
    it signed is dropped (its content is withdrawn already: readers resynchronising on the
    revocation drop their copy). Flushes; the caller commits."""
    row = keyring.revoke_key(session, runtime, key_id)
    entries = session.scalars(select(FeedEntry).where(FeedEntry.item_json.contains(key_id))
                              .order_by(FeedEntry.seq)).all()
    again = 0
    for entry in entries:
        item = json.loads(entry.item_json)
        if key_id not in item.get("signatures", {}).get(runtime.node_id, {}):
            continue
        if is_redacted(item) and not entry.is_deleted:
            session.delete(entry)
            continue
        publish(session, item_type=entry.item_type,
                local_id=entry.object_id[len(runtime.node_id) + 1:],
                content=item.get("content"), deleted=entry.is_deleted, recipient=entry.recipient)
        again += 1
    session.flush()
    logger.warning("key %s revoked: %d items of the feed published again", key_id, again)
    return row


def send_hints(session: Session, events: list, ctx: WorkContext) -> None:
    """Reaction to ``FeedPublished``: tell the peers concerned that changes are available."""
    queue_feed_hints(session, {e.recipient for e in events if isinstance(e, FeedPublished)})


def deliver_now(events: list, ctx: WorkContext) -> None:
    """Nudge on ``InboxMessageQueued``: deliver each message on the process's bounded pool of
    after-commit threads (``FederationRuntime.in_background``: a slow peer never delays the
    request, a burst never starves the connection pool) as soon as it is due (a hint held back to coalesce changes
    waits out its window, at most ``FEDERATION_HINT_COALESCE_SECONDS``); the queued row stays
    for the scheduler if this fails."""
    runtime = ctx.runtime
    if runtime.session_factory is None:
        return
    for domain_event in events:
        if isinstance(domain_event, InboxMessageQueued):
            runtime.in_background(_deliver_when_due, runtime, domain_event.row_id)


def _deliver_when_due(runtime: FederationRuntime, row_id: int) -> None:
    assert runtime.session_factory is not None
    with runtime.session_factory() as session:
        due_ms = session.scalar(select(OutboxMessage.next_attempt_ms)
                                .where(OutboxMessage.id == row_id))
    if due_ms is None:
        return
    wait_ms = due_ms - now_ms()
    if wait_ms > 0:
        time.sleep(min(wait_ms, MAX_HOLD_MS) / 1000)
    inbox.deliver_one(runtime, row_id)


#: The longest a thread waits for a held-back message to be due (a hint's coalescing window).
MAX_HOLD_MS = 5_000


def register_reactions(reactions: Reactions) -> None:
    reactions.on(FeedPublished, "feed.hints", send_hints)
    reactions.nudge(InboxMessageQueued, "inbox.deliver_now", deliver_now)


def queue_feed_hints(session: Session, recipients: set[str | None]) -> list[int]:
    """Queue a ``feed.hint`` for every approved peer affected by ``recipients`` (None: every
    approved peer), coalesced; flushes and returns the ids of the rows queued or refreshed.

    Per peer, a hint whose sending has not started yet (never tried, or waiting for its next
    try) takes the new ``latest_seq`` and stands for this change too: any number of changes,
    in one transaction or many, before it leaves make one hint. Only a peer whose hint is
    already out (its sending may have begun before this change was committed) gets a new
    one, due ``FEDERATION_HINT_COALESCE_SECONDS`` after the one before it; a peer not hinted
    within that window gets it at once. Either is sent by a thread after this commit, as soon
    as it is due (``FEDERATION_HINT_AFTER_COMMIT``; the scheduler's short loop sends the ones
    no thread sent, :func:`deliver_unsent_hints`).

    A hint is only queued after the commit of the change it announces (it is the reaction
    to ``FeedPublished``), so a hint that leaves after this call announces it."""
    runtime = runtime_of(session)
    query = select(Peer.node_id).where(Peer.status == APPROVED)
    if None not in recipients:
        query = query.where(Peer.node_id.in_(recipients))
    destinations = set(session.scalars(query))
    if not destinations:
        return []
    now = now_ms()
    content = {"latest_seq": latest_seq(session)}
    rows = session.scalars(select(OutboxMessage).where(
        OutboxMessage.message_type == FEED_HINT, OutboxMessage.destination.in_(destinations),
        OutboxMessage.status.in_((DELIVERY_PENDING, DELIVERY_DONE)))).all()
    waiting: dict[str, OutboxMessage] = {}
    last_due: dict[str, int] = {}
    for row in rows:
        last_due[row.destination] = max(last_due.get(row.destination, 0), row.next_attempt_ms)
        if row.status == DELIVERY_PENDING and (row.attempts == 0 or row.next_attempt_ms > now):
            waiting[row.destination] = row
    row_ids, queued = [], []
    for destination in sorted(destinations):
        row = waiting.get(destination)
        if row is not None:
            row.content_json = canonical_dumps(content).decode("utf-8")
        else:
            row = inbox.send_inbox_message(session, destination, FEED_HINT, content)
            row.next_attempt_ms = max(now, last_due.get(destination, 0) + runtime.hint_coalesce_ms)
            queued.append(row)
        row_ids.append(row.id)
    session.flush()
    if runtime.hint_after_commit:
        for row in queued:
            record(session, InboxMessageQueued(row.id))
    return row_ids


def deliver_unsent_hints(runtime: FederationRuntime, sending: set[int]) -> int:
    """Send, on the after-commit pool, the hints that were due ``UNSENT_HINT_MS`` ago and
    were never tried: the process that committed them, which sends them after its commit,
    ended first (a web worker killed, restarted). ``sending`` holds the ids still being sent
    by earlier calls of this process (skipped). The scheduler's short loop calls it; a hint
    that fails waits for its backoff and the round. Returns how many were started."""
    if not runtime.hint_after_commit or runtime.session_factory is None:
        return 0
    overdue = now_ms() - UNSENT_HINT_MS
    with runtime.session_factory() as session:
        row_ids = session.scalars(select(OutboxMessage.id).where(
            OutboxMessage.message_type == FEED_HINT, OutboxMessage.status == DELIVERY_PENDING,
            OutboxMessage.attempts == 0, OutboxMessage.next_attempt_ms <= overdue)).all()
    started = 0
    for row_id in row_ids:
        if row_id in sending:
            continue
        sending.add(row_id)
        runtime.in_background(_send_hint, runtime, row_id, sending)
        started += 1
    return started


#: A hint still untried this long after it was due is sent by the scheduler.
UNSENT_HINT_MS = 2_000


def _send_hint(runtime: FederationRuntime, row_id: int, sending: set[int]) -> None:
    try:
        inbox.deliver_one(runtime, row_id)
    finally:
        sending.discard(row_id)


def latest_seq(session: Session) -> int:
    return session.scalar(select(func.max(FeedEntry.seq))) or 0


def retention_floor(session: Session) -> int:
    row = session.get(FederationSetting, RETENTION_FLOOR)
    return row.value if row else 0


def feed_page(session: Session, reader: str, after: int, limit: int, *,
              resync: bool = False) -> FeedPage:
    """The page of items after ``after`` that ``reader`` may see (shared or addressed to it).
    The stored canonical bytes are served as they are (never decoded and encoded again).
    ``resync``: the reader is resynchronising from 0 (it drops, at the end, every copy it did
    not see), so a cursor below the retention floor is served, not sent back to 0."""
    rows = session.execute(
        select(FeedEntry.seq, FeedEntry.item_json)
        .where(FeedEntry.seq > after,
               (FeedEntry.recipient.is_(None)) | (FeedEntry.recipient == reader))
        .order_by(FeedEntry.seq)
        .limit(limit + 1)
    ).all()
    return build_encoded_feed_page([(seq, item_json.encode("utf-8")) for seq, item_json in rows],
                                   after=after, limit=limit, latest_seq=latest_seq(session),
                                   retention_floor_seq=0 if resync else retention_floor(session))


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
