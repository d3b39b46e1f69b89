"""Peers: verifying who calls us, the peering handshake and the manager's decisions.

Handshake (docs/PROTOCOL.md §7.1): A's manager asks for B (A: ``requested_by_us``) and A
posts a signed ``peering.request`` to B; B records it (B: ``pending_approval``). When B's
manager approves, B posts its own ``peering.request`` to A; A, which asked first, approves
it at once and answers ``{"status": "approved"}``. Until that confirmation went through, the
scheduler keeps re-sending it (``needs_confirmation``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from federation.canonical import canonical_loads
from federation.client import PEERING_PATH
from federation.displaytext import clean
from federation.errors import (
    BadRequest,
    FederationError,
    NotPeer,
    PayloadTooLarge,
)
from federation.httpsig import ORIGIN_HEADER, VerifiedRequest, verify_request
from federation.keys import NodeDocument, now_ms, verify_node_document
from federation.messages import PEERING_REQUEST, build_inbox_message, verify_inbox_message
from federation.nodeid import normalize_node_id

from ..domain_events import PeersChanged
from ..errors import N_, Conflict, NotFound
from ..errors import BadRequest as DomainBadRequest
from ..notifications.operations import notify_managers
from ..orm import utcnow
from ..uow import record
from . import keyring
from .keyring import FederationRuntime, runtime_of
from .models import APPROVED, PENDING_APPROVAL, REMOVED, REQUESTED_BY_US, SUSPENDED, FeedCopy, Peer
from .nonces import DatabaseNonceStore
from .registry import HandlerRegistry

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000


@dataclass(frozen=True)
class IncomingRequest:
    """The parts of an HTTP request that a signature covers, taken from the view."""

    method: str
    authority: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes


def parse_body(request: IncomingRequest) -> dict[str, Any]:
    """The body as canonical-compatible JSON (the bytes whose digest was checked)."""
    if len(request.body) > MAX_BODY_BYTES:
        raise PayloadTooLarge("body exceeds 1 MB")
    value = canonical_loads(request.body)
    if not isinstance(value, dict):
        raise BadRequest("body must be a JSON object")
    return value


def get_peer(session: Session, node_id: str) -> Peer | None:
    return session.scalar(select(Peer).where(Peer.node_id == node_id))


def verify_from_peer(session: Session, runtime: FederationRuntime, request: IncomingRequest,
                     refetch: str = keyring.REFETCH_DEFERRED) -> tuple[VerifiedRequest, Peer]:
    """Verify a signed request and that its signer is an approved peer (else ``not_peer``).
    An unknown key id raises :class:`~node.federation.keyring.KeyRefetchWanted` when a
    refetch is due (``refetch``: see :func:`keyring.lookup_for_peer`): never a fetch here."""
    claimed = request.headers.get(ORIGIN_HEADER, "")
    peer = get_peer(session, claimed) if claimed else None

    def lookup(signer: str, key_id: str):
        if peer is None:
            return None
        return keyring.lookup_for_peer(session, runtime, peer, refetch)(signer, key_id)

    verified = verify_request(
        request.method, request.authority, request.path, request.query, request.headers,
        request.body, our_node_id=runtime.node_id, lookup_key=lookup,
        nonce_store=DatabaseNonceStore(session))
    if peer is None or peer.status != APPROVED:
        raise NotPeer("not an approved peer")
    return verified, peer


# --- the handshake --------------------------------------------------------------------------


def _peering_message(session: Session, runtime: FederationRuntime, peer: Peer,
                     message: str = "") -> dict[str, Any]:
    content = {"name": runtime.name, "city": runtime.city or "-", "region": runtime.region or "-"}
    # The node's role address set at ``coworknet init``, never a manager's login (PRIVACY §6);
    # without one, none is sent and the peers page tells the manager.
    if runtime.contact_email:
        content["contact_email"] = runtime.contact_email
    else:
        logger.warning("no FEDERATION_CONTACT_EMAIL: the peering request carries no contact")
    if message:
        content["message"] = message[:1000]
    return build_inbox_message(message_type=PEERING_REQUEST, origin=runtime.node_id,
                               destination=peer.node_id, content=content,
                               key=runtime.signing_key())


def request_peering(session: Session, runtime: FederationRuntime, url: str,
                    message: str = "") -> Peer:
    """Our manager asks ``url`` to peer: fetch and verify its document and record the peer.
    Flushes; after commit, the caller sends the request with :func:`send_confirmation` (no
    transaction may stay open across a network call); the scheduler re-sends it until it
    goes through."""
    node_id = keyring.normalise_peer_url(url)
    if node_id == runtime.node_id:
        raise DomainBadRequest(N_("A node cannot peer with itself."))
    document, raw = keyring.fetch_document(runtime, node_id)
    peer = get_peer(session, node_id)
    now = now_ms()
    if peer is None:
        peer = Peer(node_id=node_id, status=REQUESTED_BY_US, keys_json="{}")
        session.add(peer)
    if peer.status == PENDING_APPROVAL:
        # They asked first: asking back is approving.
        approve(session, runtime, peer)
    elif peer.status != APPROVED:
        peer.status = REQUESTED_BY_US
        record(session, PeersChanged())
        peer.keys_json = "{}"
    keyring.merge_document(peer, document, raw, now=now)
    peer.needs_confirmation = True
    peer.message = message[:1000]
    session.flush()
    return peer


def send_confirmation(session: Session, runtime: FederationRuntime, peer: Peer) -> bool:
    """Post our peering request to ``peer``; on ``approved`` the peering is complete.
    Call it with no write transaction open (after a commit); flushes the outcome."""
    client = runtime.client(peer.node_id)
    try:
        answer = client.post_signed(peer.node_id, PEERING_PATH,
                                    _peering_message(session, runtime, peer, peer.message))
    except FederationError as exc:
        peer.last_error = f"{exc.code}: {exc.message}"[:500]
        peer.last_error_at = utcnow()
        session.flush()
        logger.info("peering request to %s failed: %s", peer.node_id, exc.code)
        return False
    finally:
        client.close()
    peer.needs_confirmation = False
    peer.last_error = None
    if answer.get("status") == "approved" and peer.status in (REQUESTED_BY_US, APPROVED):
        if peer.status != APPROVED:
            peer.status = APPROVED
            record(session, PeersChanged())
            peer.approved_at = utcnow()
            keyring.pin_current_keys(peer, now_ms())
    session.flush()
    return True


#: How many peering confirmations go out at once (a coordinator accepting ten spaces in one
#: decision waits for the slowest, not for the sum).
CONFIRMATION_THREADS = 4


def send_confirmations(runtime: FederationRuntime, peer_ids: list[int]) -> int:
    """:func:`send_confirmation` to each of ``peer_ids`` still waiting for ours, a few at a
    time, each on its own session and committed on its own. Call it after the commit that
    approved them; returns how many peers answered."""
    assert runtime.session_factory is not None

    def one(peer_id: int) -> bool:
        session = runtime.session_factory()
        try:
            peer = session.get(Peer, peer_id)
            if peer is None or not peer.needs_confirmation:
                return False
            sent = send_confirmation(session, runtime, peer)
            session.commit()
            return sent
        finally:
            session.close()

    if len(peer_ids) <= 1:
        return sum(one(peer_id) for peer_id in peer_ids)
    with ThreadPoolExecutor(max_workers=CONFIRMATION_THREADS,
                            thread_name_prefix="peering-confirmation") as pool:
        return sum(pool.map(one, peer_ids))


def receive_peering_request(session: Session, runtime: FederationRuntime,
                            request: IncomingRequest,
                            refetch: str = keyring.REFETCH_DEFERRED) -> dict[str, str]:
    """Handle ``POST /federation/v1/peering`` from any node: fetch the requester's document,
    verify request and message, and record the request for our manager. Flushes. A known
    peer's unknown key: :class:`~node.federation.keyring.KeyRefetchWanted` (approved peers
    only; a suspended or removed peer gets no fetch at all)."""
    claimed = request.headers.get(ORIGIN_HEADER, "")
    try:
        origin = normalize_node_id(claimed)
    except BadRequest:
        origin = ""
    peer = get_peer(session, origin) if origin else None
    document = raw = None
    if peer is not None and peer.status in (APPROVED, SUSPENDED, REMOVED):
        # Known peers are checked against the keys we hold (pinned at approval).
        lookup = keyring.lookup_for_peer(
            session, runtime, peer, refetch if peer.status == APPROVED else keyring.REFETCH_NEVER)
    elif origin and origin == claimed and origin != runtime.node_id:
        document, raw = keyring.fetch_document(runtime, origin)
        lookup = keyring.document_lookup(document)
    else:
        lookup = _no_key
    verified = verify_request(
        request.method, request.authority, request.path, request.query, request.headers,
        request.body, our_node_id=runtime.node_id, lookup_key=lookup,
        nonce_store=DatabaseNonceStore(session))
    message = verify_inbox_message(parse_body(request), peer_node_id=verified.signer,
                                   our_node_id=runtime.node_id, lookup_key=lookup)
    if message.type != PEERING_REQUEST:
        raise BadRequest("expected a peering.request")
    if peer is not None and peer.status in (SUSPENDED, REMOVED):
        raise NotPeer("peering refused")
    now = now_ms()
    content = message.content
    if peer is None:
        peer = Peer(node_id=verified.signer, status=PENDING_APPROVAL, keys_json="{}")
        session.add(peer)
    if isinstance(document, NodeDocument) and raw is not None:
        keyring.merge_document(peer, document, raw, now=now)
    peer.contact_email = content.get("contact_email", "")  # optional: a role address
    peer.message = clean(content.get("message", ""), keep_lines=True)
    if peer.status == REQUESTED_BY_US:
        peer.status = APPROVED
        record(session, PeersChanged())
        peer.approved_at = utcnow()
        peer.needs_confirmation = False
        keyring.pin_current_keys(peer, now)
    session.flush()
    for listener in runtime.registry.peering_listeners:
        listener(session, peer, content)
    if peer.status == PENDING_APPROVAL:  # a repeated request tells the managers once
        notify_managers(session, "peering.requested", link=f"/admin/peers#peer-{peer.id}",
                        params={"space": peer.name or peer.node_id},
                        dedupe_key=f"peering:{peer.node_id}")
    logger.info("peering request from %s (%s)", peer.node_id, peer.status)
    return {"status": "approved" if peer.status == APPROVED else "accepted"}


def _no_key(_signer: str, _key_id: str):
    return None


def refuse_in_inbox(session: Session, peer: Peer, message: dict[str, Any]) -> dict[str, Any]:
    """A ``peering.request`` posted to the inbox: it has its own endpoint
    (:func:`receive_peering_request`, docs/PROTOCOL.md §7.1); refused, nothing remembered."""
    raise BadRequest(f"{PEERING_REQUEST} messages go to {PEERING_PATH}, not to the inbox")


def peering_undeliverable(session: Session, row: Any, reason: str) -> None:
    """Peering requests are posted directly and re-sent each round, never queued: a queued
    one (none is) would have nobody to tell."""


def register(registry: HandlerRegistry) -> None:
    """Peering's message type: handled by the peering endpoint, refused by the inbox."""
    registry.on_inbox_message(PEERING_REQUEST, refuse_in_inbox)
    registry.on_undeliverable(PEERING_REQUEST, peering_undeliverable)


# --- the manager's decisions ----------------------------------------------------------------


def find_peer(session: Session, node_id: str) -> Peer:
    try:
        normalised = normalize_node_id(node_id.strip())
    except BadRequest:
        raise NotFound(N_("No such peer.")) from None
    peer = get_peer(session, normalised)
    if peer is None:
        raise NotFound(N_("No such peer."))
    return peer


def approve(session: Session, runtime: FederationRuntime, peer: Peer) -> Peer:
    """Approve a pending request (or reactivate a suspended peer); pins its current key.
    The confirmation to the peer is sent by :func:`send_confirmation`. Flushes."""
    if peer.status == REQUESTED_BY_US:
        raise Conflict(N_("We are waiting for this node's manager to approve our request."))
    if peer.status == REMOVED:
        raise Conflict(N_("This peer was removed: request peering again."))
    if peer.status == PENDING_APPROVAL:
        peer.needs_confirmation = True
    peer.status = APPROVED
    record(session, PeersChanged())
    peer.approved_at = utcnow()
    keyring.pin_current_keys(peer, now_ms())
    session.flush()
    return peer


def suspend(session: Session, peer: Peer) -> Peer:
    """Stop all exchanges with ``peer`` (403 for it) but keep its data. Flushes."""
    if peer.status != APPROVED:
        raise Conflict(N_("Only an approved peer can be suspended."))
    peer.status = SUSPENDED
    record(session, PeersChanged())
    session.flush()
    return peer


def remove(session: Session, peer: Peer) -> Peer:
    """Refuse or remove ``peer``: 403 from now on, its cached copies purged. Flushes."""
    peer.status = REMOVED
    record(session, PeersChanged())
    peer.needs_confirmation = False
    peer.last_applied_seq = 0
    session.query(FeedCopy).filter(FeedCopy.peer_node_id == peer.node_id).delete()
    # The feature areas drop their copies too: "everything not seen since the far future".
    for handler in runtime_of(session).registry.resync_handlers:
        handler(session, peer, utcnow() + timedelta(days=3650))
    session.flush()
    return peer


def count_awaiting_approval(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Peer)
                          .where(Peer.status == PENDING_APPROVAL)) or 0


def list_peers(session: Session) -> list[Peer]:
    return list(session.scalars(select(Peer).order_by(Peer.status, Peer.node_id)))


def approved_peers(session: Session) -> list[Peer]:
    return list(session.scalars(select(Peer).where(Peer.status == APPROVED).order_by(Peer.id)))


def peer_out_of_band(session: Session, runtime: FederationRuntime,
                     raw_document: dict[str, Any]) -> Peer:
    """Record an approved peer whose node document reached us out of band (the demo seeds
    its three local nodes this way, with no HTTP handshake). Idempotent; flushes."""
    node_id = raw_document.get("node_id", "")
    document = verify_node_document(raw_document, expected_node_id=node_id)
    peer = get_peer(session, document.node_id)
    if peer is None:
        peer = Peer(node_id=document.node_id, status=PENDING_APPROVAL, keys_json="{}")
        session.add(peer)
    if peer.status != APPROVED:
        peer.status = PENDING_APPROVAL
        record(session, PeersChanged())
        keyring.merge_document(peer, document, raw_document, now=now_ms())
        approve(session, runtime, peer)
    peer.needs_confirmation = False
    session.flush()
    return peer
