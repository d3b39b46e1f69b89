"""Pull sync (PROTOCOL §7.2): read each approved peer's feed a verified page at a time, apply
the page, move the cursor, commit.

A page is verified as a whole before anything of it is applied (one bad item: nothing of the
page is applied, the error is recorded, that peer's sync stops); its items and the new cursor
are then committed in one transaction, so a crash mid-page resumes from the previous cursor
without loss or duplicates. Items of a type this node does not know are skipped, the cursor
still advances. Network calls happen outside database transactions. The reading, the
verifying and what makes them fast (read-ahead, the signature worker, fast decoding, the
collector paused) are :class:`federation.pull.PageReader`'s.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from federation.canonical import canonical_dumps
from federation.client import PeerBackoff
from federation.errors import FederationError
from federation.keys import now_ms
from federation.messages import FeedItem
from federation.pull import PageReader

from ..bulk import among, insert_rows
from ..orm import utcnow
from . import keyring
from .inbox import bring_forward
from .keyring import FederationRuntime
from .models import APPROVED, FeedCopy, Peer
from .registry import HandlerRegistry

logger = logging.getLogger(__name__)

Progress = Callable[[str, int], None]


@dataclass
class SyncResult:
    peer: str
    applied: int = 0
    skipped: int = 0
    pages: int = 0
    cursor: int = 0
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def sync_peer(runtime: FederationRuntime, peer_id: int, *, progress: Progress | None = None,
              max_pages: int | None = None) -> SyncResult:
    """Pull ``peer_id``'s feed until it is exhausted, within this round's bounds (PROTOCOL
    §7.2, paging termination): at most ``max_pages`` pages (the node's
    ``FEDERATION_PULL_MAX_PAGES`` by default) and ``FEDERATION_PULL_MAX_SECONDS``, at most
    ``FEDERATION_PULL_MAX_RESYNCS`` restarts, and no page that says "more to come" without
    an item. Commits per page. A pull cut by the page bound leaves the peer due (a long
    catch-up goes on next round); one cut for a stall, a resync loop or its time budget is
    recorded as a failure and backed off, like an unreachable peer."""
    factory = runtime.session_factory
    assert factory is not None
    session = factory()
    result = SyncResult(peer="")
    deadline = time.monotonic() + runtime.pull_max_seconds
    page_bound = runtime.pull_max_pages if max_pages is None else max_pages
    try:
        peer = session.get(Peer, peer_id)
        if peer is None or peer.status != APPROVED:
            result.error = "not_peer"
            return result
        result.peer = peer.node_id
        after, resync = peer.last_applied_seq, peer.resync_started_at is not None
        peer.pull_requested_ms = 0  # this pull answers every hint received so far
        session.commit()  # no transaction stays open across a network call
        more = False
        with _reader(runtime, peer, deadline) as reader:
            for page in reader.pages(after, lambda: keyring.lookup_for_peer(session, runtime, peer),
                                     resync=resync, max_pages=page_bound,
                                     max_resyncs=runtime.pull_max_resyncs, deadline=deadline):
                result.pages += 1
                more = page.has_more
                if page.snapshot_required:
                    logger.warning("peer %s asks for a full resync", peer.node_id)
                    peer.last_applied_seq, peer.resync_started_at = 0, utcnow()
                    session.commit()
                    continue
                applied = apply_page(session, runtime.registry, peer, page.items)
                result.applied += applied
                result.skipped += page.served - applied
                peer.last_applied_seq = page.cursor
                if not page.has_more:
                    _read_to_the_end(session, runtime.registry, peer)
                session.commit()
                if progress is not None:
                    progress(peer.node_id, page.served)
        if more and result.pages >= page_bound:
            result.extra["cut"] = "pages"  # the rest next round; the peer stays due
            logger.info("pull of %s stopped after %d pages; it goes on next round",
                        peer.node_id, result.pages)
        result.cursor = peer.last_applied_seq
        return result
    except FederationError as exc:
        session.rollback()
        result.error = exc.code
        # A refusal by the peer is recorded with the peer's own code (e.g. not_peer).
        code = getattr(exc, "peer_code", None) or exc.code
        logger.info("sync with %s failed: %s %s", result.peer, code, exc.message)
        _record_failure(factory, peer_id, code, exc.message, now_ms())
        return result
    except Exception as exc:
        session.rollback()
        result.error = "internal_error"
        logger.exception("sync with %s crashed", result.peer)
        _record_failure(factory, peer_id, "internal_error", type(exc).__name__, now_ms())
        return result
    finally:
        session.close()


def _reader(runtime: FederationRuntime, peer: Peer, deadline: float | None = None) -> PageReader:
    """A reader of ``peer``'s feed, set up as this node is (page size, signature worker);
    its requests stop at ``deadline`` (the pull's time budget)."""
    client = runtime.client(peer.node_id)
    client.deadline = deadline
    return PageReader(client, peer.node_id, limit=runtime.page_limit,
                      worker=runtime.verify_worker, worker_after=runtime.verify_worker_after,
                      worker_keys=lambda: keyring.peer_keys(peer))


def _read_to_the_end(session: Session, handlers: HandlerRegistry, peer: Peer) -> None:
    """The peer's feed was read to its end: a resync drops what it did not see again
    (PROTOCOL §7.2), and the peer is in good standing."""
    if peer.resync_started_at is not None:
        for handler in handlers.resync_handlers:
            handler(session, peer, peer.resync_started_at)
        _drop_unseen(session, peer, peer.resync_started_at)
        peer.resync_started_at = None
    peer.backoff_failures, peer.next_attempt_ms = 0, 0
    peer.last_error = None
    peer.last_success_at = utcnow()
    # The peer answered: what waits for it in our queue is due now (per-destination backoff).
    bring_forward(session, peer.node_id, now_ms())


def apply_page(session: Session, handlers: HandlerRegistry, peer: Peer,
               items: list[FeedItem]) -> int:
    """Apply verified items (a page, or one item), in order; returns how many changed a copy.
    An item no newer than the copy held of its object is ignored (PROTOCOL §7.2; the same
    object twice in a page: the later item stands). The copies are written first (the new
    ones in one statement), then each run of consecutive items of one type goes to that
    type's page handler, or else item by item to its one-item handler. Idempotent."""
    known = load_copies(session, peer, [item.id for item in items])
    new_rows: dict[str, dict[str, Any]] = {}
    changed: list[FeedItem] = []
    now = utcnow()
    for item in items:
        copy = known.get(item.id)
        if copy is not None:
            if copy.seq >= item.seq:
                if copy.seq == item.seq:
                    copy.updated_at = now  # seen again (resync): not a stale copy
                continue
            copy.item_type, copy.seq, copy.is_deleted = item.type, item.seq, item.deleted
            copy.item_json, copy.updated_at = _stored_json(item), now
        else:
            row = new_rows.get(item.id)
            if row is not None and row["seq"] >= item.seq:
                continue
            new_rows[item.id] = {
                "peer_node_id": peer.node_id, "object_id": item.id, "item_type": item.type,
                "seq": item.seq, "is_deleted": item.deleted, "item_json": _stored_json(item),
                "updated_at": now}
        changed.append(item)
    if new_rows:
        # Plain rows at the driver's speed: nothing for the session to track.
        insert_rows(session, FeedCopy.__table__, list(new_rows.values()))
    start = 0
    while start < len(changed):
        end = start + 1
        while end < len(changed) and changed[end].type == changed[start].type:
            end += 1
        run = [_handler_view(item) for item in changed[start:end]]
        page_handler = handlers.feed_page_handlers.get(changed[start].type)
        handler = handlers.feed_handlers.get(changed[start].type)
        if page_handler is not None:
            page_handler(session, peer, run)
        elif handler is not None:
            for view in run:
                handler(session, peer, view)
        start = end
    return len(changed)


def apply_item(session: Session, handlers: HandlerRegistry, peer: Peer, item: FeedItem) -> bool:
    """Apply one verified item (a page of one, :func:`apply_page`); True when it changed our
    copy."""
    return apply_page(session, handlers, peer, [item]) == 1


def load_copies(session: Session, peer: Peer, object_ids: list[str]) -> dict[str, FeedCopy]:
    """The copies held from ``peer`` for these objects, in one query (a page at a time)."""
    if not object_ids:
        return {}
    rows = session.scalars(select(FeedCopy).where(
        FeedCopy.peer_node_id == peer.node_id, among(session, FeedCopy.object_id, set(object_ids))))
    return {row.object_id: row for row in rows}


def _stored_json(item: FeedItem) -> str | None:
    # A tombstone keeps nothing of the object: the copy is purged for real.
    return None if item.deleted else (item.raw_json or canonical_dumps(item.raw)).decode("utf-8")


def _handler_view(item: FeedItem) -> dict[str, Any]:
    view: dict[str, Any] = {"seq": item.seq, "type": item.type, "id": item.id,
                            "owner": item.owner, "origin_ts": item.origin_ts,
                            "deleted": item.deleted, "content": item.content}
    if item.is_redacted:
        view["redacted"] = True
    return view


#: The first pull retry after a failed pull comes this soon (then doubling up to an hour, and
#: sooner when the peer hints or reaches us): one lost answer does not hide a peer's changes
#: for half a minute.
PULL_RETRY_BASE_MS = 5_000


def _record_failure(factory: Callable[[], Session], peer_id: int, code: str, message: str,
                    now: int) -> None:
    session = factory()
    try:
        peer = session.get(Peer, peer_id)
        if peer is None:
            return
        state = PeerBackoff(peer.node_id, peer.backoff_failures, peer.next_attempt_ms)
        state = state.record_failure(now, code, base_ms=PULL_RETRY_BASE_MS)
        peer.backoff_failures, peer.next_attempt_ms = state.failures, state.next_attempt_at
        peer.last_error = f"{code}: {message}"[:500]
        peer.last_error_at = utcnow()
        session.commit()
    finally:
        session.close()


def _drop_unseen(session: Session, peer: Peer, since: datetime) -> None:
    session.query(FeedCopy).filter(FeedCopy.peer_node_id == peer.node_id,
                                   FeedCopy.updated_at < since).delete()


def due_peers(session: Session, now: int, *, force: bool = False,
              hinted_only: bool = False) -> list[Peer]:
    """The approved peers due for a pull (all with ``force``); ``hinted_only``: only those
    that sent a ``feed.hint`` since their last pull."""
    query = select(Peer).where(Peer.status == APPROVED)
    if hinted_only:
        query = query.where(Peer.pull_requested_ms > 0)
    peers = session.scalars(query.order_by(Peer.id)).all()
    return [p for p in peers if force or p.next_attempt_ms <= now]


def sync_all(runtime: FederationRuntime, *, force: bool = False,
             progress: Progress | None = None, hinted_only: bool = False) -> list[SyncResult]:
    """Sync every approved peer that is due (all of them with ``force``; only the hinted ones
    with ``hinted_only``), then expire leases. Each peer is pulled within its own bounds
    (:func:`sync_peer`) and its failure is its own: the others are pulled all the same."""
    assert runtime.session_factory is not None
    session = runtime.session_factory()
    try:
        ids = [p.id for p in due_peers(session, now_ms(), force=force, hinted_only=hinted_only)]
    finally:
        session.close()
    results = [sync_peer(runtime, peer_id, progress=progress) for peer_id in ids]
    expire_leases(runtime)
    return results


def expire_leases(runtime: FederationRuntime) -> int:
    """Run the node's lease expirers in one transaction; returns copies dropped."""
    assert runtime.session_factory is not None
    session = runtime.session_factory()
    try:
        dropped = sum(int(fn(session, utcnow()) or 0) for fn in runtime.registry.lease_expirers)
        session.commit()
        return dropped
    finally:
        session.close()


def copies_of(session: Session, peer_node_id: str) -> dict[str, dict | None]:
    """The copies held from a peer: object id → verified item (None for a tombstone)."""
    rows = session.scalars(select(FeedCopy).where(FeedCopy.peer_node_id == peer_node_id))
    return {row.object_id: (json.loads(row.item_json) if row.item_json else None) for row in rows}
