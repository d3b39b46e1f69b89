"""Pull sync: fetch each approved peer's feed, verify every item, apply it, move the cursor.

Each page is verified as a whole before anything is applied (one bad signature: nothing of the
page is applied, the error is recorded, that peer's sync stops); then its items and the new
cursor are committed in one transaction, so a crash mid-page resumes from the previous
cursor without loss or duplicates. Items of a type this node does not know are skipped, the
cursor still advances. Network calls happen outside database transactions.
"""

from __future__ import annotations

import gc
import json
import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from federation.canonical import canonical_dumps
from federation.client import FederationClient, PeerBackoff, canonical_items
from federation.errors import FederationError
from federation.feed import peek_next_after
from federation.keys import now_ms
from federation.messages import FeedItem, verify_feed_page
from federation.verifier import SignatureWorker, VerifiedSignatures
from schemas.federation import FEED_ITEM_TYPES

from ..bulk import among, insert_rows
from ..orm import utcnow
from . import keyring
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


def _handler_view(item: FeedItem) -> dict[str, Any]:
    view: dict[str, Any] = {"seq": item.seq, "type": item.type, "id": item.id,
                            "owner": item.owner, "origin_ts": item.origin_ts,
                            "deleted": item.deleted, "content": item.content}
    if item.is_redacted:
        view["redacted"] = True
    return view


def load_copies(session: Session, peer: Peer, object_ids: list[str]) -> dict[str, FeedCopy]:
    """The copies held from ``peer`` for these objects, in one query (a page at a time)."""
    if not object_ids:
        return {}
    rows = session.scalars(select(FeedCopy).where(
        FeedCopy.peer_node_id == peer.node_id, among(session, FeedCopy.object_id, set(object_ids))))
    return {row.object_id: row for row in rows}


def apply_item(session: Session, handlers: HandlerRegistry, peer: Peer, item: FeedItem,
               known: dict[str, FeedCopy] | None = None) -> bool:
    """Apply one verified item unless we hold a newer one of that object, with its type's
    handler in ``handlers`` (the node's registry, ``runtime.registry``). Idempotent.
    ``known`` is the page's preloaded copies (:func:`load_copies`), kept up to date.
    Returns True when the item changed our copy."""
    if known is None:
        known = load_copies(session, peer, [item.id])
    copy = known.get(item.id)
    if copy is not None and copy.seq >= item.seq:
        if copy.seq == item.seq:
            copy.updated_at = utcnow()  # seen again (resync): not a stale copy
        return False
    if copy is None:
        copy = FeedCopy(peer_node_id=peer.node_id, object_id=item.id)
        session.add(copy)
        known[item.id] = copy
    copy.item_type, copy.seq, copy.is_deleted = item.type, item.seq, item.deleted
    copy.item_json = _stored_json(item)
    copy.updated_at = utcnow()
    handler = handlers.feed_handlers.get(item.type)
    if handler is not None:
        handler(session, peer, _handler_view(item))
    return True


def _stored_json(item: FeedItem) -> str | None:
    # A tombstone keeps nothing of the object: the copy is purged for real.
    return None if item.deleted else (item.raw_json or canonical_dumps(item.raw)).decode("utf-8")


def apply_page(session: Session, handlers: HandlerRegistry, peer: Peer,
               items: list[FeedItem]) -> int:
    """Apply a verified page, in order, with the result of :func:`apply_item` for each item.
    An item of a type with a one-item handler goes through :func:`apply_item` itself (that
    handler sees the session exactly as before); the runs of other items are written in bulk:
    their new copies in one statement, then their area's page handler, if any, once per run.
    Returns how many items changed a copy."""
    known = load_copies(session, peer, [item.id for item in items])
    inserted: set[str] = set()  # copies written in bulk in this page, not in ``known``
    applied = 0
    run: list[FeedItem] = []
    for item in items:
        if item.id in inserted and item.id not in known:  # the same object again
            known.update(load_copies(session, peer, [item.id]))
        if item.type in handlers.feed_handlers and item.type not in handlers.feed_page_handlers:
            applied += _apply_run(session, handlers, peer, run, known, inserted)
            run = []
            applied += apply_item(session, handlers, peer, item, known)
        else:
            run.append(item)
    return applied + _apply_run(session, handlers, peer, run, known, inserted)


def _apply_run(session: Session, handlers: HandlerRegistry, peer: Peer, items: list[FeedItem],
               known: dict[str, FeedCopy], inserted: set[str]) -> int:
    """Apply items that have no one-item handler: copies updated or written in one statement,
    then each run of a type with a page handler handed to it."""
    if not items:
        return 0
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
                continue  # the same object twice in one page: the newer one stands
            new_rows[item.id] = {
                "peer_node_id": peer.node_id, "object_id": item.id, "item_type": item.type,
                "seq": item.seq, "is_deleted": item.deleted, "item_json": _stored_json(item),
                "updated_at": now}
        changed.append(item)
    if new_rows:
        # Plain rows at the driver's speed: nothing for the session to track.
        insert_rows(session, FeedCopy.__table__, list(new_rows.values()))
        inserted.update(new_rows)
    start = 0
    while start < len(changed):
        item_type = changed[start].type
        end = start
        while end < len(changed) and changed[end].type == item_type:
            end += 1
        page_handler = handlers.feed_page_handlers.get(item_type)
        if page_handler is not None:
            page_handler(session, peer, [_handler_view(item) for item in changed[start:end]])
        start = end
    return len(changed)


def _record_failure(factory: Callable[[], Session], peer_id: int, code: str, message: str,
                    now: int) -> None:
    session = factory()
    try:
        peer = session.get(Peer, peer_id)
        if peer is None:
            return
        state = PeerBackoff(peer.node_id, peer.backoff_failures, peer.next_attempt_ms)
        state = state.record_failure(now, code)
        peer.backoff_failures, peer.next_attempt_ms = state.failures, state.next_attempt_at
        peer.last_error = f"{code}: {message}"[:500]
        peer.last_error_at = utcnow()
        session.commit()
    finally:
        session.close()


class _FeedBodies:
    """Feed page bodies, the next one asked for as soon as the current page is verified: while
    this thread writes that page (database work, which leaves the interpreter lock free most
    of the time), another one sends the request and reads the answer, and the peer's answer
    time is spent on our work instead of added to it. One request at a time (the client is
    not shared between threads); a body asked for another cursor is dropped with its error.

    With a signature worker (:meth:`check_with`), each body goes to the worker as soon as it
    arrives, and the reading runs further ahead: the next page is asked for at once (its
    cursor read off the body, :func:`~federation.feed.peek_next_after`), up to
    ``READ_AHEAD`` pages ahead of this thread, so that the worker always has a page to check.
    """

    def __init__(self, client: FederationClient, peer_node_id: str, limit: int) -> None:
        self._client, self._peer, self._limit = client, peer_node_id, limit
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._ahead: dict[int, Future[tuple[bytes, Future[Any] | None]]] = {}
        self._frontier: int | None = None  # the next cursor, when read-ahead waits for room
        self._checker: Callable[[bytes], Future[Any]] | None = None
        self._generation = 0  # moves on when the reading ahead is dropped: its chain stops
        self._closed = False
        #: The reader is resynchronising: the pages asked from now on say so (PROTOCOL §7.2).
        self.resync = False

    @property
    def checking(self) -> bool:
        """Whether the bodies asked from now on go to a signature worker."""
        return self._checker is not None

    def check_with(self, checker: Callable[[bytes], Future[Any]] | None) -> None:
        """Hand the bodies asked from now on to ``checker`` (None: no longer)."""
        with self._lock:
            self._checker = checker
            self._frontier = None

    def ask_after(self, page: dict[str, Any]) -> None:
        """Ask now for the body of the page after ``page``, when there is one."""
        if not page["has_more"] or not page["items"]:
            return
        after = page["items"][-1]["seq"]
        with self._lock:
            if after not in self._ahead:
                self._ask(after)

    def _ask(self, after: int) -> None:  # with the lock held
        if self._closed:
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="feed-fetch")
        self._ahead[after] = self._pool.submit(self._fetch, after, self._checker,
                                               self._generation, self.resync)

    def _fetch(self, after: int, checker: Callable[[bytes], Future[Any]] | None,
               generation: int, resync: bool) -> tuple[bytes, Future[Any] | None]:
        body = self._client.fetch_feed_body(self._peer, after, self._limit, resync=resync)
        if checker is None:
            return body, None
        checking = checker(body)  # a worker gone fails this future: the reader checks the page
        following = peek_next_after(body)
        with self._lock:
            if (following is not None and generation == self._generation
                    and following not in self._ahead):
                if len(self._ahead) < READ_AHEAD:
                    self._ask(following)
                else:
                    self._frontier = following
        return body, checking

    def take(self, after: int) -> tuple[bytes, Future[Any] | None]:
        """The body of the page after ``after`` (the one asked ahead, or asked now), with the
        future of its signatures checked by the worker, if it went to one."""
        with self._lock:
            asked = self._ahead.pop(after, None)
            dropped = [] if asked is not None else list(self._ahead.values())
            if asked is None:  # another cursor (a page not committed): nothing ahead is ours
                self._ahead.clear()
                self._frontier = None
                self._generation += 1
            elif self._frontier is not None and len(self._ahead) < READ_AHEAD:
                following, self._frontier = self._frontier, None
                if following not in self._ahead:
                    self._ask(following)
        if asked is not None:
            return asked.result()
        for future in dropped:
            future.cancel()
        wait(dropped)
        return self._client.fetch_feed_body(self._peer, after, self._limit,
                                            resync=self.resync), None

    def close(self) -> None:
        with self._lock:
            self._closed = True
        if self._pool is not None:
            # A request still out ends within its timeouts; the ones not sent are dropped.
            self._pool.shutdown(wait=True, cancel_futures=True)


#: How many pages the reading may run ahead of the pages applied, with a signature worker.
READ_AHEAD = 2


class _SignatureChecks:
    """A long pull's signature worker (:mod:`federation.verifier`): started once the sync has
    read ``runtime.verify_worker_after`` items with more to come, it checks each page asked
    ahead while this thread applies the current one. Its answer only spares the verify call
    for the very signatures that verified; should it fail or stall, the page is verified
    here and the worker is no longer used."""

    def __init__(self, runtime: FederationRuntime, peer: Peer, bodies: _FeedBodies) -> None:
        self._runtime, self._peer, self._bodies = runtime, peer, bodies
        self._worker: SignatureWorker | None = None
        self._broken = False

    @property
    def active(self) -> bool:
        return self._bodies.checking  # until the worker failed

    def consider(self, page: dict[str, Any], seen: int) -> None:
        """Start the worker when this sync is a long one: ``seen`` items and more to come."""
        runtime = self._runtime
        if (self._worker is not None or self._broken or not runtime.verify_worker
                or not page["has_more"] or seen < runtime.verify_worker_after):
            return
        keys: dict[str, bytes] = {}
        for key_id, record in keyring.peer_keys(self._peer).items():
            try:
                keys[key_id] = record.verify_key().public_bytes
            except FederationError:
                continue  # a malformed record: its items are checked (and refused) here
        try:
            self._worker = worker = SignatureWorker()
        except Exception:  # no process or semaphore to be had here: the pages are checked here
            logger.warning("no signature worker; pages are verified in process", exc_info=True)
            self._broken = True
            return
        signer = self._peer.node_id
        self._bodies.check_with(lambda body: worker.submit(body, signer, keys))

    def result(self, checking: Future[Any] | None) -> VerifiedSignatures | None:
        """The signatures the worker verified in a page, or None (checked here). While the
        worker starts (a new interpreter takes about a second), a page it has not checked
        yet is checked here rather than waited for."""
        if checking is None or self._broken or self._worker is None:
            return None
        if not self._worker.ready and not checking.done():
            return None
        try:
            return VerifiedSignatures(checking.result(timeout=WORKER_TIMEOUT_SECONDS))
        except Exception:  # a worker that died or stalls: every page is checked here
            logger.warning("signature worker failed; pages are verified in process",
                           exc_info=True)
            self._broken = True
            self._bodies.check_with(None)
            return None

    def close(self) -> None:
        if self._worker is not None:
            self._worker.close()


#: How long a page's signatures may take in the worker before this thread checks them.
WORKER_TIMEOUT_SECONDS = 60.0


def _take_page(session: Session, runtime: FederationRuntime, peer: Peer, page: dict[str, Any],
               after: int, result: SyncResult, bodies: _FeedBodies | None,
               checks: VerifiedSignatures | None = None) -> bool:
    """Verify a fetched page, apply it and move the cursor, in one transaction; True when it
    was the feed's last page. Once the page is verified, ``bodies`` (None after a sync's last
    allowed page) is asked for the next one. ``checks``: the page's signatures that the
    signature worker verified."""
    lookup = keyring.lookup_for_peer(session, runtime, peer)
    # A newer type is skipped (the cursor still advances past it). The client
    # parsed the page strictly: the items are not walked again.
    wanted = [i for i, raw in enumerate(page["items"])
              if raw.get("type") in FEED_ITEM_TYPES]
    encoded = canonical_items(page)
    verified = verify_feed_page(
        [page["items"][i] for i in wanted], peer.node_id, lookup, now_ms=now_ms(),
        checked=True, encoded=None if encoded is None else [encoded[i] for i in wanted],
        checks=checks)
    fresh = [item for item in verified if item.seq > after]
    if bodies is not None:
        bodies.ask_after(page)
    applied = apply_page(session, runtime.registry, peer, fresh)
    result.applied += applied
    result.skipped += len(page["items"]) - applied
    if page["items"]:
        peer.last_applied_seq = page["items"][-1]["seq"]
    finished = not page["has_more"]
    if finished and peer.resync_started_at is not None:
        for handler in runtime.registry.resync_handlers:
            handler(session, peer, peer.resync_started_at)
        _drop_unseen(session, peer, peer.resync_started_at)
        peer.resync_started_at = None
    if finished:
        peer.backoff_failures, peer.next_attempt_ms = 0, 0
        peer.last_error = None
        peer.last_success_at = utcnow()
    session.commit()
    return finished


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while a page is verified and applied. The page's tens of
    thousands of containers (parsed items, verified copies, rows) would otherwise be traversed
    again and again by collections with nothing to free (a tenth of a sync's time, measured);
    they go by reference counting once the page is done, and collection resumes. Nested and
    concurrent pauses (several syncs in one process) resume it once, after the last one."""
    global _pausers, _resume_collector
    with _pause_lock:
        if _pausers == 0:
            _resume_collector = gc.isenabled()
            gc.disable()
        _pausers += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pausers -= 1
            if _pausers == 0 and _resume_collector:
                gc.enable()


_pause_lock = threading.Lock()
_pausers = 0
_resume_collector = False


def sync_peer(runtime: FederationRuntime, peer_id: int, *, progress: Progress | None = None,
              max_pages: int | None = None) -> SyncResult:
    """Pull ``peer_id``'s feed until it is exhausted (or ``max_pages``); commits per page."""
    factory = runtime.session_factory
    assert factory is not None
    session = factory()
    result = SyncResult(peer="")
    try:
        peer = session.get(Peer, peer_id)
        if peer is None or peer.status != APPROVED:
            result.error = "not_peer"
            return result
        result.peer = peer.node_id
        client = runtime.client(peer.node_id)
        bodies = _FeedBodies(client, peer.node_id, runtime.page_limit)
        signatures = _SignatureChecks(runtime, peer, bodies)
        seen = 0
        try:
            while max_pages is None or result.pages < max_pages:
                after = peer.last_applied_seq
                session.commit()  # no transaction stays open across the network call
                bodies.resync = peer.resync_started_at is not None
                body, checking = bodies.take(after)
                result.pages += 1
                with _collector_paused():  # from here on, this page is CPU work only
                    page = client.read_feed_page(body, after, runtime.page_limit)
                    if page["snapshot_required"]:
                        logger.warning("peer %s asks for a full resync", peer.node_id)
                        peer.last_applied_seq = 0
                        peer.resync_started_at = utcnow()
                        session.commit()
                        continue
                    last = max_pages is not None and result.pages >= max_pages
                    checks = signatures.result(checking)
                    seen += len(page["items"])
                    signatures.consider(page, seen)
                    if signatures.active and not last:
                        # The worker checks the next page while this one is applied.
                        bodies.ask_after(page)
                    finished = _take_page(session, runtime, peer, page, after, result,
                                          None if last else bodies, checks)
                if progress is not None:
                    progress(peer.node_id, len(page["items"]))
                if finished:
                    break
        finally:
            bodies.close()
            signatures.close()
            client.close()
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


def _drop_unseen(session: Session, peer: Peer, since: datetime) -> None:
    session.query(FeedCopy).filter(FeedCopy.peer_node_id == peer.node_id,
                                   FeedCopy.updated_at < since).delete()


def due_peers(session: Session, now: int, *, force: bool = False) -> list[Peer]:
    peers = session.scalars(select(Peer).where(Peer.status == APPROVED).order_by(Peer.id)).all()
    return [p for p in peers if force or p.next_attempt_ms <= now]


def sync_all(runtime: FederationRuntime, *, force: bool = False,
             progress: Progress | None = None) -> list[SyncResult]:
    """Sync every approved peer that is due (all of them with ``force``), then expire leases."""
    assert runtime.session_factory is not None
    session = runtime.session_factory()
    try:
        ids = [p.id for p in due_peers(session, now_ms(), force=force)]
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
