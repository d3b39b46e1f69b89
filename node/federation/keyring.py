"""The node's federation identity and every key it knows: its own key records (current,
rotated-out, revoked) and the cached, pinned keys of its peers.

The private half of the current key stays in the instance folder (``node/federation/identity``);
the public records live in the database so every worker serves the same node document.
A retired private key is kept next to it (``node_key.<fingerprint>.retired.pem``) until its
overlap ends, only to co-sign the node document: that co-signature is the rotation chain a
peer follows to trust the new key without a new approval (docs/PROTOCOL.md §3.4).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from federation.client import FederationClient
from federation.displaytext import clean
from federation.envelope import verify_object
from federation.errors import BadRequest, FederationError
from federation.keys import (
    DEFAULT_ROTATION_OVERLAP_MS,
    KeyRecord,
    NodeDocument,
    SigningKey,
    build_node_document,
    now_ms,
    rotate,
    sign_detached,
)
from federation.nodeid import normalize_node_id

from ..domain_events import PeersChanged
from ..errors import N_, Conflict, NotFound
from ..orm import utcnow
from ..uow import RUNTIME_INFO_KEY
from ..uow import record as record_event
from . import identity
from .models import NodeKey, Peer
from .registry import HandlerRegistry

logger = logging.getLogger(__name__)

#: On an unknown key id, a peer's document is refetched at most this often.
DEFAULT_KEY_REFETCH_MS = 5 * 60 * 1000


@dataclass
class FederationRuntime:
    """What the federation services need about this node, outside any request.

    Built by the application factory (``node.federation.runtime.build_runtime``) with the
    node's handler registry; attached to every database session as
    ``session.info["coworknet.federation"]`` and to the app as an extension.
    """

    node_id: str
    name: str
    city: str
    region: str
    instance_path: Path
    allow_loopback: bool = False
    client_retries: int = 3
    page_limit: int = 50
    #: Long pulls check signatures in a worker process (:mod:`federation.verifier`).
    verify_worker: bool = False
    verify_worker_after: int = 1000
    pull_on_hint: bool = True
    hint_after_commit: bool = True
    #: A peer hinted less than this long ago gets its next hint this long after the last one.
    hint_coalesce_ms: int = 500
    key_refetch_ms: int = DEFAULT_KEY_REFETCH_MS
    #: Bounds of one peer's pull in one round (PROTOCOL §7.2, paging termination).
    pull_max_pages: int = 200
    pull_max_seconds: float = 120.0
    pull_max_resyncs: int = 1
    contact_email: str = ""
    session_factory: Callable[[], Session] | None = None
    #: The Flask application this runtime belongs to: the scheduler runs its periodic jobs.
    app: Any = field(default=None, repr=False, compare=False)
    #: Which feature handles each federation message type (built by ``create_app``).
    registry: HandlerRegistry = field(default_factory=HandlerRegistry, repr=False,
                                      compare=False)
    _key_cache: tuple[int, SigningKey] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    #: After-commit work runs on this many threads per process, whatever the number of
    #: messages: each holds a database connection, so a burst never starves the pool.
    background_workers: int = 4
    _background: list[tuple[Callable[..., object], tuple]] = field(default_factory=list, repr=False)
    _workers: list[threading.Thread] = field(default_factory=list, repr=False)
    _pending: int = field(default=0, repr=False)
    _changed: threading.Condition | None = field(default=None, repr=False)

    def in_background(self, target: Callable[..., object], *args: object) -> None:
        """Run ``target(*args)`` on the process's bounded pool of daemon threads
        (:attr:`background_workers`), in submission order; :meth:`wait_for_background` waits
        for it (after-commit deliveries; a slow peer never delays a request). A failure is
        logged, never raised."""
        with self._lock:
            if self._changed is None:
                self._changed = threading.Condition(self._lock)
            self._background.append((target, args))
            self._pending += 1
            self._workers = [w for w in self._workers if w.is_alive()]
            if len(self._workers) < self.background_workers and \
                    len(self._workers) < self._pending:
                worker = threading.Thread(target=self._work, daemon=True, name="coworknet-after-commit")
                self._workers.append(worker)
                worker.start()
            self._changed.notify_all()

    def _work(self) -> None:
        assert self._changed is not None
        while True:
            with self._lock:
                while not self._background:
                    if not self._changed.wait(timeout=30.0) and not self._background:
                        if threading.current_thread() in self._workers:
                            self._workers.remove(threading.current_thread())
                        return  # idle: the next burst starts a thread again
                target, args = self._background.pop(0)
            try:
                target(*args)
            except Exception:
                logger.exception("background work %s failed", getattr(target, "__name__", target))
            finally:
                with self._lock:
                    self._pending -= 1
                    self._changed.notify_all()

    def wait_for_background(self, timeout: float = 30.0) -> bool:
        """Wait for the background work submitted so far (shutdown, tests); True when none is
        left."""
        deadline = time.monotonic() + timeout
        with self._lock:
            if self._changed is None:
                return True
            while self._pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
        return True

    def signing_key(self) -> SigningKey:
        """The current private key, reloaded when the key file changes (rotation)."""
        path = identity.key_path(self.instance_path)
        if not path.exists():
            identity.create_node_key(self.instance_path)
        mtime = path.stat().st_mtime_ns
        with self._lock:
            if self._key_cache is None or self._key_cache[0] != mtime:
                self._key_cache = (mtime, identity.load_node_key(self.instance_path))
            return self._key_cache[1]

    def client(self, *peers: str, retries: int | None = None) -> FederationClient:
        """A signed client; loopback peers are reachable only when the node allows it."""
        return FederationClient(
            self.node_id,
            self.signing_key(),
            allow_loopback_peers=peers if self.allow_loopback else (),
            retries=self.client_retries if retries is None else retries,
        )


def runtime_of(session: Session) -> FederationRuntime:
    """The federation runtime attached to ``session`` by the application factory."""
    runtime = session.info.get(RUNTIME_INFO_KEY)
    if runtime is None:
        raise RuntimeError("this session has no federation runtime (use the app's sessions)")
    return runtime


# --- our own keys ---------------------------------------------------------------------------


def _retired_path(instance_path: Path, key_id: str) -> Path:
    fingerprint = key_id.split(":", 1)[1]
    return Path(instance_path) / f"node_key.{fingerprint}.retired.pem"


def ensure_current_key(session: Session, runtime: FederationRuntime) -> NodeKey:
    """Record the key of the instance folder as current (first start, or after a restore)."""
    key = runtime.signing_key()
    row = session.get(NodeKey, key.key_id)
    if row is not None:
        return row
    try:
        # A savepoint: two workers answering their first request may both get here.
        with session.begin_nested():
            has_others = session.scalar(select(NodeKey.key_id).limit(1)) is not None
            row = NodeKey(key_id=key.key_id, public_key=key.public().to_b64(), is_current=True,
                          valid_from_ms=now_ms() // 1000 * 1000 if has_others else 0)
            session.add(row)
            for other in session.scalars(select(NodeKey).where(NodeKey.is_current.is_(True))):
                if other.key_id != key.key_id:
                    other.is_current = False
                    other.expired_ms = other.expired_ms or now_ms()
            session.flush()
    except IntegrityError:
        row = session.get(NodeKey, key.key_id)
        assert row is not None
    return row


def _record(row: NodeKey) -> KeyRecord:
    return KeyRecord(row.key_id, row.public_key, row.valid_from_ms, row.expired_ms, row.revoked_ms)


def own_key_records(session: Session) -> list[KeyRecord]:
    return [_record(row) for row in session.scalars(select(NodeKey).order_by(NodeKey.created_at))]


def node_document(session: Session, runtime: FederationRuntime) -> dict[str, Any]:
    """Our self-signed node document, co-signed by retired keys still in their overlap."""
    current = ensure_current_key(session, runtime)
    key = runtime.signing_key()
    others = [_record(row) for row in session.scalars(select(NodeKey)) if row.key_id != key.key_id]
    now = now_ms()
    document = build_node_document(
        node_id=runtime.node_id, name=runtime.name, city=runtime.city or "-",
        region=runtime.region or "-", signing_key=key, other_keys=others, now=now,
        signing_key_valid_from=current.valid_from_ms,
    )
    body = {k: v for k, v in document.items() if k != "signatures"}
    for record in others:
        path = _retired_path(runtime.instance_path, record.key_id)
        if record.revoked_at is None and record.is_valid_at(now) and path.exists():
            retired = SigningKey.from_pem(path.read_bytes())
            document["signatures"][runtime.node_id][retired.key_id] = sign_detached(body, retired)
    return document


def _write_private(path: Path, key: SigningKey) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key.to_pem())
    os.replace(tmp, path)


def rotate_key(
    session: Session, runtime: FederationRuntime, *, overlap_ms: int = DEFAULT_ROTATION_OVERLAP_MS
) -> NodeKey:
    """Replace the current key by a new one endorsed by it; the old one stays valid for
    ``overlap_ms`` so items it signed keep verifying. Returns the new key's record."""
    old_row = ensure_current_key(session, runtime)
    old_key = runtime.signing_key()
    # Whole seconds: a request signed in the same second (``created`` is in seconds) must
    # already be covered by the new key's validity.
    rotation = rotate(old_key, runtime.node_id, overlap_ms=overlap_ms,
                      old_valid_from=old_row.valid_from_ms, now=now_ms() // 1000 * 1000)
    _write_private(_retired_path(runtime.instance_path, old_key.key_id), old_key)
    _write_private(identity.key_path(runtime.instance_path), rotation.new_key)
    old_row.is_current = False
    old_row.expired_ms = rotation.old_record.valid_until
    new_row = NodeKey(key_id=rotation.new_key.key_id, public_key=rotation.new_record.public_key_b64,
                      is_current=True, valid_from_ms=rotation.new_record.valid_from,
                      endorsement=json.dumps(rotation.endorsement, sort_keys=True))
    session.add(new_row)
    session.flush()
    logger.info("federation key rotated to %s", new_row.key_id)
    return new_row


def revoke_key(session: Session, runtime: FederationRuntime, key_id: str) -> NodeKey:
    """Mark one of our keys revoked: it signs nothing any more, whatever the date (PROTOCOL
    §3.4). The current key must be rotated out first. What the key signed in our feed is
    published again by :func:`node.federation.feed.revoke_key`, the operation to call."""
    row = session.get(NodeKey, key_id)
    if row is None:
        raise NotFound(N_("No such key."))
    if row.is_current:
        raise Conflict(N_("Rotate the key before revoking it: it is the current key."))
    row.revoked_ms = row.revoked_ms or now_ms()
    _retired_path(runtime.instance_path, key_id).unlink(missing_ok=True)
    session.flush()
    logger.warning("federation key %s revoked", key_id)
    return row


# --- peers' keys ----------------------------------------------------------------------------


def peer_keys(peer: Peer) -> dict[str, KeyRecord]:
    raw = json.loads(peer.keys_json or "{}")
    return {
        key_id: KeyRecord(key_id, entry["key"], entry["valid_from"], entry.get("valid_until"),
                          entry.get("revoked_at"))
        for key_id, entry in raw.items()
    }


def _store_keys(peer: Peer, records: dict[str, KeyRecord]) -> None:
    peer.keys_json = json.dumps({
        key_id: {"key": r.public_key_b64, "valid_from": r.valid_from, "valid_until": r.valid_until,
                 "revoked_at": r.revoked_at}
        for key_id, r in sorted(records.items())
    }, sort_keys=True)


def _narrower(old: int | None, new: int | None) -> int | None:
    if old is None:
        return new
    if new is None:
        return old
    return min(old, new)


def merge_document(peer: Peer, document: NodeDocument, raw: dict[str, Any], *, now: int) -> list[str]:
    """Merge a freshly fetched, self-verified document into ``peer``'s known keys.

    Known keys are never dropped nor widened, only narrowed (expiry, revocation): a fetch that
    lies cannot erase what we know (cache poisoning). New keys are accepted before approval
    (pinned at approval), or when the document is co-signed by a key we already trust (the
    rotation chain). Returns the key ids added."""
    known = peer_keys(peer)
    trusted = not peer.is_approved or _cosigned_by_known(raw, peer.node_id, known, now)
    added = []
    newly_revoked = []
    for record in document.keys:
        old = known.get(record.key_id)
        if old is not None:
            known[record.key_id] = KeyRecord(
                old.key_id, old.public_key_b64, old.valid_from,
                _narrower(old.valid_until, record.valid_until),
                _narrower(old.revoked_at, record.revoked_at))
            if old.revoked_at is None and record.revoked_at is not None:
                newly_revoked.append(record.key_id)
        elif trusted:
            record.verify_key()
            known[record.key_id] = record
            added.append(record.key_id)
        else:
            logger.warning("peer %s shows key %s without a rotation chain", peer.node_id,
                           record.key_id)
    _store_keys(peer, known)
    if newly_revoked and peer.is_approved:
        _resync_after_revocation(peer, newly_revoked)
    owner = Session.object_session(peer)
    if owner is not None and (peer.city, peer.region) != (clean(document.city),
                                                           clean(document.region)):
        record_event(owner, PeersChanged())  # what our exports hold depends on where it is
    # Shown on our pages: without control, zero-width or bidi characters (PROTOCOL §6.4).
    peer.name, peer.city, peer.region = (clean(document.name), clean(document.city),
                                         clean(document.region))
    peer.document_fetched_ms = now
    peer.document_cache_until_ms = document.cache_until(now)
    return added


def _resync_after_revocation(peer: Peer, key_ids: list[str]) -> None:
    """A key of the peer was revoked: what it signed is trusted no more, whatever its date
    (PROTOCOL §3.4). Every copy held from the peer is read again from 0 as a resync
    (§7.2): each item is verified anew (the owner re-signed what the key had signed) and
    whatever is not served again is dropped at its end."""
    logger.warning("peer %s revoked %s: its feed is read again from 0", peer.node_id,
                   ", ".join(key_ids))
    peer.last_applied_seq = 0
    peer.resync_started_at = utcnow()
    peer.next_attempt_ms = 0


def _cosigned_by_known(raw: dict[str, Any], node_id: str, known: dict[str, KeyRecord],
                       now: int) -> bool:
    def lookup(signer: str, key_id: str) -> KeyRecord | None:
        record = known.get(key_id) if signer == node_id else None
        return record if record is not None and record.is_valid_at(now) else None

    try:
        verify_object(raw, node_id, lookup, now)
    except FederationError:
        return False
    return True


def pin_current_keys(peer: Peer, now: int) -> None:
    """Pin the fingerprint of the peer's currently valid key at approval."""
    valid = [r for r in peer_keys(peer).values() if r.is_valid_at(now) and r.valid_until is None]
    peer.pinned_key_id = valid[0].key_id if valid else None


def fetch_document(runtime: FederationRuntime, node_id: str) -> tuple[NodeDocument, dict[str, Any]]:
    """Fetch and self-verify ``node_id``'s node document (address checks included)."""
    client = runtime.client(node_id)
    try:
        raw = client.fetch_node_document(node_id)
    finally:
        client.close()
    return NodeDocument.from_dict(raw), raw


class KeyRefetchWanted(Exception):  # noqa: N818 - a signal to the view, not an error
    """Raised while a request is verified: ``peer_id`` signed with a key this node does not
    know, and refetching its document is allowed now. The view rolls the request back,
    refetches with :func:`refetch_outside_request` (no transaction of the request open) and
    handles the request once more, without refetching."""

    def __init__(self, peer_id: int) -> None:
        super().__init__(peer_id)
        self.peer_id = peer_id


#: What a lookup does on a key id it does not know: fetch the document now (the scheduler's
#: sync, outside any request), ask the view to (a request, first pass), or nothing.
REFETCH_NOW, REFETCH_DEFERRED, REFETCH_NEVER = "now", "deferred", "never"


def _refetch_allowed(peer: Peer, runtime: FederationRuntime, now: int) -> bool:
    return now - peer.document_fetched_ms >= runtime.key_refetch_ms


def claim_refetch(runtime: FederationRuntime, peer_id: int, now: int, *,
                  force: bool = False) -> bool:
    """Record, in a short transaction of its own committed before any fetch, that this node
    fetches ``peer_id``'s document now; False when the last fetch is more recent than
    ``FEDERATION_KEY_REFETCH_SECONDS`` (one conditional UPDATE: two workers cannot both claim
    it). The record stays whatever happens to the request or the fetch."""
    factory = runtime.session_factory
    assert factory is not None
    side = factory()
    try:
        query = update(Peer).where(Peer.id == peer_id)
        if not force:
            query = query.where(Peer.document_fetched_ms <= now - runtime.key_refetch_ms)
        claimed = side.execute(query.values(document_fetched_ms=now)).rowcount == 1
        side.commit()
        return claimed
    finally:
        side.close()


def _fetch_and_merge(runtime: FederationRuntime, peer_id: int, node_id: str, now: int) -> bool:
    """Fetch the document (no transaction open here), then merge it in a short transaction
    of its own. True when a document was fetched and merged."""
    try:
        document, raw = fetch_document(runtime, node_id)
    except FederationError as exc:
        logger.info("refetching the document of %s failed: %s", node_id, exc.code)
        return False
    factory = runtime.session_factory
    assert factory is not None
    side = factory()
    try:
        row = side.get(Peer, peer_id)
        if row is None:
            return False
        merge_document(row, document, raw, now=now)
        side.commit()
        return True
    finally:
        side.close()


def refresh_peer_keys(session: Session, runtime: FederationRuntime, peer: Peer, *,
                      force: bool = False) -> bool:
    """Refetch the peer's document if the rate limit allows (the attempt is recorded before
    the fetch, in its own transaction, so it counts even when the fetch or the caller fails).
    Call it with no write transaction open on ``session`` (the scheduler's sync between
    pages, the manager's "refresh" after a commit). Returns True when a fetch happened."""
    now = now_ms()
    if not force and not _refetch_allowed(peer, runtime, now):
        return False
    if not claim_refetch(runtime, peer.id, now, force=force):
        session.refresh(peer)
        return False
    fetched = _fetch_and_merge(runtime, peer.id, peer.node_id, now)
    session.refresh(peer)
    return fetched


def refetch_outside_request(runtime: FederationRuntime, peer_id: int) -> bool:
    """The refetch a request asked for (:class:`KeyRefetchWanted`), run by the view after it
    rolled the request's transaction back: claimed under the rate limit, fetched, merged."""
    factory = runtime.session_factory
    assert factory is not None
    session = factory()
    try:
        peer = session.get(Peer, peer_id)
        if peer is None:
            return False
        node_id = peer.node_id
    finally:
        session.close()
    now = now_ms()
    if not claim_refetch(runtime, peer_id, now):
        return False
    return _fetch_and_merge(runtime, peer_id, node_id, now)


def lookup_for_peer(session: Session, runtime: FederationRuntime, peer: Peer,
                    refetch: str = REFETCH_NOW):
    """A ``lookup_key(signer, key_id)`` over the peer's known keys. On an unknown key id, at
    most once per ``key_refetch_ms``: ``refetch`` "now" refetches the peer's document at
    once (outside any request), "deferred" raises :class:`KeyRefetchWanted` for the view to
    refetch outside the request's transaction (only for an approved peer: a suspended or
    removed one gets nothing fetched), "never" does not refetch."""
    state: dict[str, Any] = {"refetched": False, "json": None, "keys": {}}

    def known() -> dict[str, KeyRecord]:  # parsed once per version of the stored keys
        if state["json"] != peer.keys_json:
            state["json"], state["keys"] = peer.keys_json, peer_keys(peer)
        return state["keys"]

    def lookup(signer: str, key_id: str) -> KeyRecord | None:
        if signer != peer.node_id:
            return None
        record = known().get(key_id)
        if record is None and not state["refetched"]:
            state["refetched"] = True
            if refetch == REFETCH_DEFERRED:
                if peer.is_approved and _refetch_allowed(peer, runtime, now_ms()):
                    raise KeyRefetchWanted(peer.id)
            elif refetch == REFETCH_NOW and refresh_peer_keys(session, runtime, peer):
                record = known().get(key_id)
        return record

    return lookup


def document_lookup(document: NodeDocument):
    """A ``lookup_key`` over a just-fetched document (peering requests from unknown nodes)."""

    def lookup(signer: str, key_id: str) -> KeyRecord | None:
        return document.lookup(key_id) if signer == document.node_id else None

    return lookup


def normalise_peer_url(url: str) -> str:
    try:
        return normalize_node_id(url.strip())
    except BadRequest as exc:
        raise BadRequest("not a valid node URL") from exc


def key_fingerprint(key_id: str | None) -> str:
    return key_id.split(":", 1)[1] if key_id else ""

