"""The inbox (push): receiving signed messages idempotently, and the durable outgoing queue.

Incoming: the request signature and the message signature are verified, the origin must be an
approved peer and the destination us; the answer is stored under (origin, message id) so a
retried message gets the same answer and the handler never runs twice.

Outgoing: :func:`send_inbox_message` enqueues in the caller's transaction; the scheduler (or a
background thread after commit, with ``deliver_now``) signs and posts it, retrying with
exponential backoff and full jitter; a message refused by the peer or older than the inbox
retention goes to the dead-letter state shown on the peers admin page.
"""

from __future__ import annotations

import json
import logging
import random
import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from federation.canonical import canonical_dumps, canonical_loads, to_nfc
from federation.client import PeerBackoff
from federation.errors import BadRequest, FederationError, PeerError, ReplayedNonce
from federation.keys import now_ms
from federation.messages import (
    FEED_HINT,
    MAX_INBOX_AGE_MS,
    build_inbox_message,
    make_object_id,
    verify_inbox_message,
)

from ..domain_events import InboxMessageQueued
from ..orm import utcnow
from ..uow import record
from . import keyring, rate_limits
from .keyring import FederationRuntime, runtime_of
from .models import (
    APPROVED,
    DELIVERY_DEAD,
    DELIVERY_DONE,
    DELIVERY_PENDING,
    REMOVED,
    InboxReceipt,
    OutboxMessage,
    Peer,
)
from .peers import IncomingRequest, parse_body, verify_from_peer
from .registry import HandlerRegistry

logger = logging.getLogger(__name__)

ACCEPTED = {"status": "accepted"}
MAX_ATTEMPTS = 25


def stored_answer(session: Session, origin: str, message_id: str) -> tuple[dict, int] | None:
    receipt = session.scalar(select(InboxReceipt).where(
        InboxReceipt.origin == origin, InboxReceipt.message_id == message_id))
    if receipt is None:
        return None
    return json.loads(receipt.answer_json), receipt.status_code


def receive(session: Session, runtime: FederationRuntime, request: IncomingRequest,
            refetch: str = keyring.REFETCH_DEFERRED) -> tuple[dict[str, Any], int, Peer, str]:
    """Verify and handle one inbox message; returns (answer, status, peer, message type).
    Flushes; the view commits (a unique-constraint clash means a concurrent duplicate). A
    key to refetch raises :class:`~node.federation.keyring.KeyRefetchWanted` (the view
    fetches outside this transaction, which holds the nonce's write by then)."""
    verified, peer = verify_from_peer(session, runtime, request, refetch)
    body = parse_body(request)
    message = verify_inbox_message(body, peer_node_id=verified.signer,
                                   our_node_id=runtime.node_id,
                                   lookup_key=keyring.lookup_for_peer(session, runtime, peer,
                                                                      refetch))
    previous = stored_answer(session, message.origin, message.id)
    if previous is not None:
        return previous[0], previous[1], peer, message.type
    # Per-peer limits, before anything of the message is written (PROTOCOL §10).
    rate_limits.check_inbound(session, peer.node_id,
                              inbound_quotas(runtime, message.type, message.content))
    receipt = InboxReceipt(origin=message.origin, message_id=message.id,
                           message_type=message.type)
    session.add(receipt)
    session.flush()
    handler = runtime.registry.inbox_handlers.get(message.type)
    if handler is None:
        raise BadRequest(f"{message.type} messages are not handled by this node")
    answer: dict[str, Any] = handler(session, peer, {
        "type": message.type, "id": message.id, "origin": message.origin,
        "destination": message.destination, "origin_ts": message.origin_ts,
        "content": message.content,
    }) or dict(ACCEPTED)
    status = 202 if answer == ACCEPTED else 200
    receipt.answer_json = json.dumps(answer, sort_keys=True)
    receipt.status_code = status
    session.flush()
    return answer, status, peer, message.type


def inbound_quotas(runtime: FederationRuntime, message_type: str,
                   content: Mapping[str, Any]) -> list[tuple[str, rate_limits.Limit, str]]:
    """The per-peer limits one message of ``message_type`` counts against: every type's
    per-minute limit, the hints' own, and the quota its feature declared
    (:meth:`HandlerRegistry.inbox_quota`)."""
    if runtime.app is None:
        return []
    config = runtime.app.config
    quotas = [(f"type:{message_type}",
               rate_limits.Limit(int(config["FEDERATION_INBOX_PER_TYPE_PER_MINUTE"]),
                                 rate_limits.MINUTE_MS),
               f"{message_type} messages")]
    if message_type == FEED_HINT:
        quotas.append(("hints", rate_limits.Limit(int(config["FEDERATION_HINTS_PER_MINUTE"]),
                                                  rate_limits.MINUTE_MS), "feed hints"))
    declared = runtime.registry.inbox_quotas.get(message_type)
    found = declared(dict(content), config) if declared is not None else None
    if found is not None:
        key, count, window_ms, what = found
        quotas.append((key, rate_limits.Limit(count, window_ms), what))
    return quotas


#: Pulls cut off for these reasons keep their backoff whatever the peer hints (PROTOCOL §7.2):
#: a looping or stalling peer cannot buy itself a pull per hint.
CUT_OFF_CODES = ("feed_stalled", "resync_loop", "pull_budget")


def on_feed_hint(session: Session, peer: Peer, message: dict[str, Any]) -> dict[str, Any]:
    """A ``feed.hint``: the peer asks to be pulled. Recorded on its row (twenty hints before
    the pull are one pull); the scheduler's short loop pulls it. The peer is due now,
    whatever its backoff said (it is back), unless its last pull was cut off for looping,
    stalling or its time budget. Nothing is pulled here: this runs inside a web request."""
    runtime = runtime_of(session)
    if not runtime.pull_on_hint:
        return dict(ACCEPTED)
    peer.pull_requested_ms = now_ms()
    if not (peer.last_error or "").startswith(CUT_OFF_CODES):
        peer.next_attempt_ms = 0
    return dict(ACCEPTED)


def register(registry: HandlerRegistry) -> None:
    """The transport's own inbox message: ``feed.hint``."""
    registry.on_inbox_message(FEED_HINT, on_feed_hint)


def answer_after_conflict(session: Session, request: IncomingRequest) -> tuple[dict, int]:
    """After a unique-constraint clash at commit (the same message, or the same nonce, handled
    concurrently by another worker): the stored answer, or a replay refusal."""
    try:
        body = parse_body(request)
        stored = stored_answer(session, str(body.get("origin")), str(body.get("id")))
    except FederationError:
        stored = None
    if stored is None:
        raise ReplayedNonce("request handled concurrently")
    return stored


# --- outgoing -------------------------------------------------------------------------------


def send_inbox_message(
    session: Session,
    peer: Peer | str,
    message_type: str,
    content: Mapping[str, Any],
    message_id: str | None = None,
    *,
    deliver_now: bool = False,
) -> OutboxMessage:
    """Queue a signed inbox message for ``peer`` (a Peer or a node id); ``message_id`` is its
    idempotency key (an object id of ours; generated when None). Delivered by the scheduler,
    or right after the caller's commit when ``deliver_now``. Flushes."""
    runtime = runtime_of(session)
    content = to_nfc(dict(content))  # the one signed form of the text (docs/PROTOCOL.md §2)
    destination = peer.node_id if isinstance(peer, Peer) else keyring.normalise_peer_url(peer)
    message_id = message_id or make_object_id(runtime.node_id,
                                               "msg/" + secrets.token_urlsafe(16))
    # Build once now so a malformed message fails in the caller, not in the queue.
    build_inbox_message(message_type=message_type, origin=runtime.node_id,
                        destination=destination, content=content, key=runtime.signing_key(),
                        message_id=message_id)
    row = OutboxMessage(destination=destination, message_id=message_id,
                        message_type=message_type,
                        content_json=canonical_dumps(dict(content)).decode("utf-8"),
                        status=DELIVERY_PENDING, attempts=0, next_attempt_ms=0)
    session.add(row)
    session.flush()
    if deliver_now:
        record(session, InboxMessageQueued(row.id))
    return row


def _deliver(session: Session, runtime: FederationRuntime, row: OutboxMessage, now: int) -> bool:
    """One delivery attempt of ``row``; updates its state. Returns True when delivered."""
    peer = session.scalar(select(Peer).where(Peer.node_id == row.destination))
    if peer is None or peer.status == REMOVED or now - row.created_at.timestamp() * 1000 > MAX_INBOX_AGE_MS:
        row.status, row.last_error = DELIVERY_DEAD, "peer removed or message too old"
        return False
    if peer.status != APPROVED:
        row.next_attempt_ms = now + 60_000
        return False
    message = build_inbox_message(
        message_type=row.message_type, origin=runtime.node_id, destination=row.destination,
        content=canonical_loads(row.content_json.encode("utf-8")), key=runtime.signing_key(),
        message_id=row.message_id)
    client = runtime.client(row.destination, retries=0)
    row.attempts += 1
    session.commit()  # count the attempt, and hold no transaction during the network call
    try:
        answer = client.post_inbox(row.destination, message)
    except PeerError as exc:
        if exc.peer_status is not None and 400 <= exc.peer_status < 500 and exc.peer_status != 429:
            row.status = DELIVERY_DEAD  # refused; a 429 (a per-peer limit) is retried later
        row.last_error = f"{exc.peer_code or exc.code}: {exc.message}"[:500]
        _backoff(row, now)
        return False
    except FederationError as exc:
        row.last_error = f"{exc.code}: {exc.message}"[:500]
        _backoff(row, now)
        return False
    finally:
        client.close()
    row.status, row.answer_json, row.delivered_at = DELIVERY_DONE, json.dumps(answer), utcnow()
    row.last_error = None
    on_answer = runtime.registry.delivery_handlers.get(row.message_type)
    if on_answer is not None and isinstance(answer, dict):
        on_answer(session, row, answer)
    return True


def _backoff(row: OutboxMessage, now: int) -> None:
    state = PeerBackoff(row.destination, failures=row.attempts - 1)
    row.next_attempt_ms = state.record_failure(now, "retry", rng=random.uniform).next_attempt_at
    if row.attempts >= MAX_ATTEMPTS:
        row.status = DELIVERY_DEAD


def deliver_one(runtime: FederationRuntime, row_id: int) -> bool:
    """Deliver one queued message now (used after commit by ``deliver_now``)."""
    assert runtime.session_factory is not None
    session = runtime.session_factory()
    try:
        row = session.get(OutboxMessage, row_id)
        if row is None or row.status != DELIVERY_PENDING:
            return False
        delivered = _deliver(session, runtime, row, now_ms())
        session.commit()
        return delivered
    except Exception:
        logger.exception("delivery of outbox message %s failed", row_id)
        session.rollback()
        return False
    finally:
        session.close()


def deliver_due(runtime: FederationRuntime, now: int | None = None) -> int:
    """Deliver every due queued message; a failing destination is skipped for the rest of
    the round so it never stalls the others. Returns how many were delivered."""
    assert runtime.session_factory is not None
    now = now_ms() if now is None else now
    session = runtime.session_factory()
    delivered = 0
    failed: set[str] = set()
    try:
        rows = session.scalars(select(OutboxMessage).where(
            OutboxMessage.status == DELIVERY_PENDING, OutboxMessage.next_attempt_ms <= now
        ).order_by(OutboxMessage.id)).all()
        for row in rows:
            if row.destination in failed:
                continue
            if _deliver(session, runtime, row, now):
                delivered += 1
            elif row.status == DELIVERY_PENDING:
                failed.add(row.destination)
            session.commit()
    finally:
        session.close()
    return delivered
