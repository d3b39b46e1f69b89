"""The inbox (push): receiving signed messages idempotently, and the durable outgoing queue.

Incoming: the request signature and the message signature are verified, the origin must be an
approved peer and the destination us; the answer is stored under (origin, message id) so a
retried message gets the same answer and the handler never runs twice.

Outgoing (docs/PROTOCOL.md §7.5, delivery semantics): :func:`send_inbox_message` enqueues in
the caller's transaction, with a deadline its sender chose (``deliver_until_ms``); the
scheduler (or a background thread after commit, with ``deliver_now``) signs and posts it. A
*transient* failure (peer down, timeout, 5xx, ``busy``, ``rate_limited``, a clock refusal, a
nonce race) is retried with exponential backoff and full jitter until the deadline; only a
*permanent* refusal (:func:`is_permanent_refusal`: a malformed message, not a peer, a type it
does not handle, a refusal by the type's rules) or the deadline dead-letters it, and then the
type's ``on_undeliverable`` handler settles the feature's state and tells the person
concerned. A delivery that succeeds brings the destination's other waiting messages forward,
so a peer that comes back gets its queue at once, in order. The manager can send a
dead-lettered message again (:func:`resend`). A clock refusal records how far apart the two
clocks are (:func:`record_clock_skew`), shown on the peers page.
"""

from __future__ import annotations

import json
import logging
import random
import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from federation.canonical import canonical_dumps, canonical_loads, to_nfc
from federation.client import PeerBackoff
from federation.errors import BadRequest, Busy, FederationError, PeerError
from federation.keys import now_ms
from federation.messages import (
    FEED_HINT,
    MAX_INBOX_AGE_MS,
    build_inbox_message,
    make_object_id,
    verify_inbox_message,
)

from ..domain_events import InboxMessageQueued
from ..errors import N_, Conflict
from ..notifications.operations import notify_managers
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
    # The peer is up (it just reached us): what waits for it in our queue is due now.
    bring_forward(session, peer.node_id, now_ms())
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


def hint_undeliverable(session: Session, row: OutboxMessage, reason: str) -> None:
    """A lost hint only delays the peer until its periodic pull: nobody is told."""


def tell_managers_undeliverable(session: Session, row: OutboxMessage, reason: str) -> None:
    """The ``on_undeliverable`` handler of the messages a manager answers for (invitations,
    reports, connector requests, answers to another node): our managers are told once, and
    can send it again from the peers page."""
    peer = session.scalar(select(Peer).where(Peer.node_id == row.destination))
    notify_managers(session, "delivery.undeliverable", link="/admin/peers",
                    params={"space": (peer.name if peer is not None and peer.name
                                      else row.destination),
                            "type": row.message_type, "reason": reason[:200]},
                    dedupe_key=f"undeliverable:{row.message_id}")


def register(registry: HandlerRegistry) -> None:
    """The transport's own inbox message: ``feed.hint``."""
    registry.on_inbox_message(FEED_HINT, on_feed_hint)
    registry.on_undeliverable(FEED_HINT, hint_undeliverable)


def answer_after_conflict(session: Session, request: IncomingRequest, *,
                          final: bool = True) -> tuple[dict, int] | None:
    """After a unique-constraint clash (the same message handled concurrently by another
    worker, or another path inserting the same object, e.g. the feed item of the event a
    regional invitation carries): the stored answer when the message was handled; else None
    (the view handles it again in a fresh transaction) or, when ``final``, a transient
    :class:`~federation.errors.Busy` refusal (503: the sender retries, PROTOCOL §7.4)."""
    try:
        body = parse_body(request)
        stored = stored_answer(session, str(body.get("origin")), str(body.get("id")))
    except FederationError:
        stored = None
    if stored is None and final:
        raise Busy("the message met a concurrent change; retry later")
    return stored


# --- outgoing -------------------------------------------------------------------------------

#: Refusals that a retry cannot change (PROTOCOL §7.5): the message is malformed, not for this
#: peer, or refused by the type's rules. Every other refusal (a clock out of the window, a
#: nonce race, an unknown key during a rotation, a rate limit, ``busy``, any 5xx) is transient.
PERMANENT_CODES = frozenset({
    "bad_request", "bad_canonical_json", "implausible_value", "bad_signature",
    "destination_mismatch", "origin_mismatch", "not_peer", "forbidden", "not_found",
    "method_not_allowed", "conflict", "payload_too_large", "unsupported_media_type",
})
TRANSIENT_CODES = frozenset({
    "expired_signature", "replayed_nonce", "unknown_key", "rate_limited", "busy",
    "server_error", "peer_unavailable",
})
#: A message whose sender set no deadline is retried for the inbox retention (7 days): a
#: receiver remembers a handled message that long, so a later retry could be handled twice.
DEFAULT_DELIVERY_MS = MAX_INBOX_AGE_MS
#: A suspended peer (not removed) is asked again this often, until the deadline.
SUSPENDED_RETRY_MS = 60_000


def is_permanent_refusal(http_status: int | None, code: str | None) -> bool:
    """Whether a peer's refusal dead-letters a message: by its error code (PROTOCOL §7.4),
    else by its HTTP status (a 4xx other than 408, 425 and 429 is permanent). No answer at
    all (``http_status`` None: unreachable, timeout) is transient."""
    if code in PERMANENT_CODES:
        return True
    if code in TRANSIENT_CODES or http_status is None:
        return False
    return 400 <= http_status < 500 and http_status not in (408, 425, 429)


def _ms(moment) -> int:
    return int(moment.timestamp() * 1000)


def delivery_deadline_ms(row: OutboxMessage) -> int:
    """Until when ``row`` is retried: its sender's deadline, never past the inbox retention
    counted from when it was queued."""
    created = _ms(row.created_at) if row.created_at is not None else now_ms()
    latest = created + MAX_INBOX_AGE_MS
    return latest if row.deliver_until_ms is None else min(row.deliver_until_ms, latest)


def send_inbox_message(
    session: Session,
    peer: Peer | str,
    message_type: str,
    content: Mapping[str, Any],
    message_id: str | None = None,
    *,
    deliver_now: bool = False,
    deliver_until_ms: int | None = None,
) -> OutboxMessage:
    """Queue a signed inbox message for ``peer`` (a Peer or a node id); ``message_id`` is its
    idempotency key (an object id of ours; generated when None). Delivered by the scheduler,
    or right after the caller's commit when ``deliver_now``; retried through transient
    failures until ``deliver_until_ms`` (default: the inbox retention, 7 days). Flushes."""
    runtime = runtime_of(session)
    content = to_nfc(dict(content))  # the one signed form of the text (docs/PROTOCOL.md §2)
    destination = peer.node_id if isinstance(peer, Peer) else keyring.normalise_peer_url(peer)
    message_id = message_id or make_object_id(runtime.node_id,
                                               "msg/" + secrets.token_urlsafe(16))
    # Build once now so a malformed message fails in the caller, not in the queue.
    build_inbox_message(message_type=message_type, origin=runtime.node_id,
                        destination=destination, content=content, key=runtime.signing_key(),
                        message_id=message_id)
    queued_at = utcnow()
    row = OutboxMessage(destination=destination, message_id=message_id,
                        message_type=message_type,
                        content_json=canonical_dumps(dict(content)).decode("utf-8"),
                        status=DELIVERY_PENDING, attempts=0, next_attempt_ms=0,
                        created_at=queued_at,
                        deliver_until_ms=(deliver_until_ms if deliver_until_ms is not None
                                          else _ms(queued_at) + DEFAULT_DELIVERY_MS))
    session.add(row)
    session.flush()
    if deliver_now:
        record(session, InboxMessageQueued(row.id))
    return row


def record_clock_skew(peer: Peer, server_time_ms: int | None, now: int) -> None:
    """Keep how far ``peer``'s clock is from ours (theirs minus ours, ms), measured from the
    clock it sent with a refusal for the date of our request; shown to our manager."""
    if server_time_ms is None:
        return
    peer.clock_skew_ms = int(server_time_ms) - now
    peer.clock_skew_at = utcnow()


def _give_up(session: Session, runtime: FederationRuntime, row: OutboxMessage, reason: str) -> None:
    """Dead-letter ``row`` and let its feature settle its state and tell the person."""
    row.status, row.last_error = DELIVERY_DEAD, reason[:500]
    handler = runtime.registry.undeliverable_handlers.get(row.message_type)
    if handler is not None:
        handler(session, row, reason)
    logger.info("outbox message %s (%s) dead: %s", row.id, row.message_type, reason[:100])


def bring_forward(session: Session, destination: str, now: int, delivered_id: int = 0) -> int:
    """The destination answered (a delivery, a pull of its feed, any signed request from it):
    its other waiting messages are due now (sent in id order), not each at the end of its own
    backoff. Called wherever the peer shows it is up; does not commit."""
    waiting = _unlocked_ids(
        OutboxMessage.destination == destination, OutboxMessage.status == DELIVERY_PENDING,
        OutboxMessage.next_attempt_ms > now, OutboxMessage.id != delivered_id,
        # A hint held back to coalesce changes keeps its window (it was never refused).
        or_(OutboxMessage.message_type != FEED_HINT, OutboxMessage.attempts > 0))
    result = session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(waiting))
                             .values(next_attempt_ms=now).execution_options(synchronize_session=False))
    return result.rowcount or 0


def _unlocked_ids(*conditions):
    """The ids of the outbox rows matching ``conditions`` that no other transaction holds, in
    id order (PostgreSQL: ``FOR UPDATE SKIP LOCKED``; SQLite has one writer anyway): a bulk
    UPDATE over them never waits on, nor deadlocks with, a worker sending one of them."""
    return (select(OutboxMessage.id).where(*conditions).order_by(OutboxMessage.id)
            .with_for_update(skip_locked=True).scalar_subquery())


def _best_effort(session: Session, what: str, work) -> int:
    """Run ``work()`` (a bulk UPDATE that only changes when rows are tried: a queue brought
    forward, or held behind a probe) in a transaction of its own and commit it; should the
    database refuse it all the same (a lock conflict), the rows keep their own times and the
    outcome already committed stands. Returns how many rows it changed."""
    try:
        changed = work()
        session.commit()
        return changed
    except OperationalError as exc:
        session.rollback()
        logger.info("%s skipped: %s", what, type(exc.orig or exc).__name__)
        return 0


def release_claim(session_factory, row_id: int) -> None:
    """A worker failed while holding ``row_id`` (an error of ours, not the peer's answer): the
    row is left to the next pass at once rather than after :data:`CLAIM_MS`. Sending it again
    is safe: the same message id is answered as before by a receiver that handled it."""
    session = session_factory()
    try:
        session.execute(update(OutboxMessage).where(
            OutboxMessage.id == row_id, OutboxMessage.status == DELIVERY_PENDING)
            .values(claimed_until_ms=None).execution_options(synchronize_session=False))
        session.commit()
    except Exception:
        session.rollback()
        logger.exception("releasing the claim of outbox message %s failed", row_id)
    finally:
        session.close()


#: How long a worker holds its claim on a row it is sending (longer than any attempt, with
#: its timeouts); a worker that died mid-send leaves the row to the others after this.
CLAIM_MS = 120_000


def claim(session: Session, row_id: int, now: int) -> bool:
    """Take ``row_id`` for one delivery attempt, atomically (one UPDATE checked by its row
    count, on SQLite and PostgreSQL alike): only a pending row that nobody else holds is
    taken, so one row is never sent by two workers at once (the after-commit thread and the
    scheduler). Commits."""
    result = session.execute(update(OutboxMessage).where(
        OutboxMessage.id == row_id, OutboxMessage.status == DELIVERY_PENDING,
        or_(OutboxMessage.claimed_until_ms.is_(None), OutboxMessage.claimed_until_ms < now),
    ).values(claimed_until_ms=now + CLAIM_MS).execution_options(synchronize_session=False))
    session.commit()
    return bool(result.rowcount)


def _deliver(session: Session, runtime: FederationRuntime, row_id: int, now: int) -> bool | None:
    """One delivery attempt of the row ``row_id``, claimed first (:func:`claim`); updates its
    state and releases the claim (the caller commits). Returns True when delivered, False
    when not, None when the row was not ours to send (delivered, dead, gone, or being sent by
    another worker)."""
    if not claim(session, row_id, now_ms()):
        return None
    row = session.get(OutboxMessage, row_id)
    if row is None:
        return None
    row.claimed_until_ms = None  # released with whatever this attempt writes
    return _attempt(session, runtime, row, now)


def _attempt(session: Session, runtime: FederationRuntime, row: OutboxMessage, now: int) -> bool:
    peer = session.scalar(select(Peer).where(Peer.node_id == row.destination))
    if peer is None or peer.status == REMOVED:
        _give_up(session, runtime, row, "not_peer: the destination is not a peer any more")
        return False
    deadline = delivery_deadline_ms(row)
    if now > deadline:
        _give_up(session, runtime, row, "deadline: not delivered in time"
                 + (f" (last error: {row.last_error})" if row.last_error else ""))
        return False
    if peer.status != APPROVED:
        row.last_error = "peer suspended: waiting until it is approved again"
        row.next_attempt_ms = min(now + SUSPENDED_RETRY_MS, deadline + 1)
        return False
    message = build_inbox_message(
        message_type=row.message_type, origin=runtime.node_id, destination=row.destination,
        content=canonical_loads(row.content_json.encode("utf-8")), key=runtime.signing_key(),
        message_id=row.message_id)
    client = runtime.client(row.destination, retries=0)
    row.attempts += 1
    row.claimed_until_ms = now_ms() + CLAIM_MS  # still ours while the request is out
    session.commit()  # count the attempt, and hold no transaction during the network call
    try:
        answer = client.post_inbox(row.destination, message)
    except PeerError as exc:
        code = exc.peer_code or exc.code
        row.last_error = f"{code}: {exc.message}"[:500]
        if exc.peer_code == "expired_signature":
            record_clock_skew(session.get(Peer, peer.id), exc.server_time_ms, now_ms())
        if exc.peer_status is not None and is_permanent_refusal(exc.peer_status, exc.peer_code):
            _give_up(session, runtime, row, row.last_error)
        else:
            _backoff(session, runtime, row, now, clock=exc.peer_code == "expired_signature",
                     unreachable=exc.peer_status is None
                     or (exc.peer_status >= 500 and exc.peer_code != "busy"))
        row.claimed_until_ms = None
        return False
    except FederationError as exc:
        row.last_error = f"{exc.code}: {exc.message}"[:500]
        _backoff(session, runtime, row, now, unreachable=True)
        row.claimed_until_ms = None
        return False
    finally:
        client.close()
    row.claimed_until_ms = None
    row.status, row.answer_json, row.delivered_at = DELIVERY_DONE, json.dumps(answer), utcnow()
    row.last_error = None
    reached = session.get(Peer, peer.id)
    if reached is not None and reached.clock_skew_ms is not None:
        reached.clock_skew_ms, reached.clock_skew_at = None, None  # our date was accepted
    on_answer = runtime.registry.delivery_handlers.get(row.message_type)
    if on_answer is not None and isinstance(answer, dict):
        on_answer(session, row, answer)
    return True


#: The longest wait between two attempts of a message still meaningful (PROTOCOL §7.5): a
#: peer that was down a day is tried again within minutes of its return even if nothing tells
#: us it is back.
MAX_RETRY_MS = 300_000
#: The first retry of a message after a transient failure comes this soon (then doubling, with
#: jitter, up to :data:`MAX_RETRY_MS`): a cut answer or a busy peer is usually fine seconds
#: later, and a peer that is down shares one probe for all its messages (per destination).
RETRY_BASE_MS = 2_000
#: A clock refusal is retried this soon at the latest: the skew is ours or the peer's to fix,
#: and the message should leave as soon as the clocks agree again.
CLOCK_RETRY_MS = 10_000


def next_attempt_after_failure(row: OutboxMessage, now: int, *, clock: bool = False) -> int | None:
    """When to try ``row`` again after a transient failure at ``now`` (exponential backoff with
    jitter, base :data:`RETRY_BASE_MS`, cap :data:`MAX_RETRY_MS`; :data:`CLOCK_RETRY_MS` after a clock
    refusal), never after its deadline; None when the deadline is reached (the message is
    undeliverable)."""
    deadline = delivery_deadline_ms(row)
    if now >= deadline:
        return None
    state = PeerBackoff(row.destination, failures=max(row.attempts - 1, 0))
    if clock:
        following = state.record_failure(now, "retry", base_ms=CLOCK_RETRY_MS // 4,
                                         cap_ms=CLOCK_RETRY_MS, rng=random.uniform)
    else:
        following = state.record_failure(now, "retry", base_ms=RETRY_BASE_MS, cap_ms=MAX_RETRY_MS,
                                         rng=random.uniform)
    return min(following.next_attempt_at, deadline)


def _backoff(session: Session, runtime: FederationRuntime, row: OutboxMessage, now: int, *,
             clock: bool = False, unreachable: bool = False) -> None:
    following = next_attempt_after_failure(row, now, clock=clock)
    if following is None:
        _give_up(session, runtime, row, f"deadline: not delivered in time (last error: "
                                         f"{row.last_error})")
        return
    row.next_attempt_ms = following
    if unreachable:
        # Backoff per destination: the peer is down, so its other waiting messages wait for
        # the same next probe (one attempt per round, not one per message); when it answers,
        # they all become due at once (:func:`bring_forward`) and go in order. This row's
        # outcome is committed first: holding the others is best effort.
        row.claimed_until_ms = None
        session.commit()
        others = _unlocked_ids(
            OutboxMessage.destination == row.destination, OutboxMessage.status == DELIVERY_PENDING,
            OutboxMessage.id != row.id, OutboxMessage.next_attempt_ms <= now)
        _best_effort(session, "holding the queue behind a probe", lambda: session.execute(
            update(OutboxMessage).where(OutboxMessage.id.in_(others))
            .values(next_attempt_ms=following).execution_options(synchronize_session=False),
        ).rowcount or 0)


def resend(session: Session, row: OutboxMessage, now: int) -> OutboxMessage:
    """Send a dead-lettered message again (the manager's decision): due now, with the same
    message id (a receiver that handled it answers as before) and a fresh deadline. Flushes."""
    if row.status != DELIVERY_DEAD:
        raise Conflict(N_("Only an undeliverable message can be sent again."), code="not_dead")
    row.status, row.attempts, row.next_attempt_ms = DELIVERY_PENDING, 0, 0
    row.created_at = utcnow()
    row.deliver_until_ms = now + DEFAULT_DELIVERY_MS
    row.last_error = None
    session.flush()
    return row


def resend_all(session: Session, destination: str, now: int) -> int:
    """Send again every dead-lettered message to ``destination``; returns how many."""
    rows = session.scalars(select(OutboxMessage).where(
        OutboxMessage.destination == destination, OutboxMessage.status == DELIVERY_DEAD)
        .order_by(OutboxMessage.id)).all()
    for row in rows:
        resend(session, row, now)
    return len(rows)


def deliver_one(runtime: FederationRuntime, row_id: int) -> bool:
    """Deliver one queued message now (used after commit by ``deliver_now``); when it goes
    through, the destination's other waiting messages follow at once. A row another worker
    is sending (or has sent) is left alone."""
    assert runtime.session_factory is not None
    session = runtime.session_factory()
    waited, destination = 0, None
    try:
        now = now_ms()
        delivered = _deliver(session, runtime, row_id, now)
        session.commit()  # the outcome first: what follows only speeds the queue up
        if delivered:
            destination = session.scalar(select(OutboxMessage.destination)
                                         .where(OutboxMessage.id == row_id))
            session.commit()
            # Messages that waited for this destination's backoff follow at once.
            waited = _best_effort(session, "bringing the queue forward", lambda: bring_forward(
                session, destination, now, row_id)) if destination else 0
    except Exception:
        logger.exception("delivery of outbox message %s failed", row_id)
        session.rollback()
        release_claim(runtime.session_factory, row_id)
        return False
    finally:
        session.close()
    if waited and destination:
        deliver_due(runtime, destination=destination)
    return bool(delivered)


#: How many times :func:`deliver_due` looks again for messages a success brought forward.
MAX_PASSES = 5


def deliver_due(runtime: FederationRuntime, now: int | None = None, *,
                destination: str | None = None) -> int:
    """Deliver every due queued message (only those to ``destination`` when given), in queue
    order; a failing destination is skipped for the rest of the call so it never stalls the
    others, and a destination that answers gets its waiting messages at once (brought
    forward). Each row is claimed before it is sent (:func:`claim`). Returns how many were
    delivered."""
    assert runtime.session_factory is not None
    now = now_ms() if now is None else now
    session = runtime.session_factory()
    delivered = 0
    failed: set[str] = set()
    done: set[int] = set()
    try:
        for _pass in range(MAX_PASSES):
            query = select(OutboxMessage.id, OutboxMessage.destination).where(
                OutboxMessage.status == DELIVERY_PENDING, OutboxMessage.next_attempt_ms <= now)
            if destination is not None:
                query = query.where(OutboxMessage.destination == destination)
            rows = [(row_id, to) for row_id, to in session.execute(query.order_by(OutboxMessage.id)).all()
                    if row_id not in done]
            session.commit()
            if not [row for row in rows if row[1] not in failed]:
                break
            for row_id, to in rows:
                done.add(row_id)
                if to in failed:
                    # Not tried again this call; but one past its deadline ends now all the
                    # same (and its person is told), whatever its destination does.
                    _expire_if_late(session, runtime, row_id, now)
                    continue
                try:
                    outcome = _deliver(session, runtime, row_id, now)
                    session.commit()  # the outcome first: what follows only speeds things up
                except Exception:
                    logger.exception("delivery of outbox message %s failed", row_id)
                    session.rollback()
                    release_claim(runtime.session_factory, row_id)
                    failed.add(to)
                    continue
                if outcome:
                    delivered += 1
                    _best_effort(session, "bringing the queue forward",
                                 lambda to=to, row_id=row_id: bring_forward(session, to, now, row_id))
                elif outcome is False and session.scalar(select(OutboxMessage.status).where(
                        OutboxMessage.id == row_id)) == DELIVERY_PENDING:
                    failed.add(to)
                session.commit()
    finally:
        session.close()
    return delivered


def _expire_if_late(session: Session, runtime: FederationRuntime, row_id: int, now: int) -> None:
    row = session.get(OutboxMessage, row_id)
    if row is None or row.status != DELIVERY_PENDING or now <= delivery_deadline_ms(row):
        session.rollback()
        return
    if not claim(session, row_id, now_ms()):
        return
    row = session.get(OutboxMessage, row_id)
    if row is not None and row.status == DELIVERY_PENDING:
        row.claimed_until_ms = None
        _give_up(session, runtime, row, "deadline: not delivered in time"
                 + (f" (last error: {row.last_error})" if row.last_error else ""))
    session.commit()
