"""The federation round: confirm peerings, deliver queued messages, pull every due peer,
expire leases and purge old nonces, receipts and tombstones.

Only one process runs a round at a time, whatever the number of workers or hosts: the round
holds a lease row in ``federation_locks`` (an UPDATE that only succeeds when the lease is free
or expired, which serialises on both PostgreSQL and SQLite).
"""

from __future__ import annotations

import logging
import os
import socket
import time
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from federation.keys import now_ms
from federation.messages import FEED_HINT

from ..models import FederationLock, InboxReceipt, OutboxMessage, Peer, RateLimitBucket
from ..models.base import utcnow
from ..models.federation import APPROVED, DELIVERY_DONE, REQUESTED_BY_US
from . import feed, inbox, peers, sync
from .keyring import FederationRuntime
from .nonces import purge_nonces

logger = logging.getLogger(__name__)

ROUND_LOCK = "federation.round"
LOCK_TTL_MS = 10 * 60 * 1000
RECEIPT_RETENTION = timedelta(days=8)


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def try_lock(session: Session, name: str, holder: str, ttl_ms: int = LOCK_TTL_MS) -> bool:
    """Take the named lease if it is free or expired; commits. True when we hold it."""
    if session.get(FederationLock, name) is None:
        session.add(FederationLock(name=name, holder="", expires_ms=0))
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
    now = now_ms()
    result = session.execute(
        update(FederationLock)
        .where(FederationLock.name == name,
               or_(FederationLock.expires_ms < now, FederationLock.holder == holder))
        .values(holder=holder, expires_ms=now + ttl_ms)
    )
    session.commit()
    return result.rowcount == 1


def release_lock(session: Session, name: str, holder: str) -> None:
    session.execute(update(FederationLock)
                    .where(FederationLock.name == name, FederationLock.holder == holder)
                    .values(holder="", expires_ms=0))
    session.commit()


@dataclass
class RoundReport:
    ran: bool
    confirmed: int = 0
    delivered: int = 0
    results: list[sync.SyncResult] = field(default_factory=list)


def confirm_peerings(runtime: FederationRuntime) -> int:
    """Re-send peering requests that have not reached their peer yet."""
    assert runtime.session_factory is not None
    session = runtime.session_factory()
    confirmed = 0
    try:
        pending = session.scalars(select(Peer).where(
            Peer.needs_confirmation.is_(True), Peer.status.in_((APPROVED, REQUESTED_BY_US)))).all()
        for peer in pending:
            confirmed += peers.send_confirmation(session, runtime, peer)
            session.commit()
    finally:
        session.close()
    return confirmed


def housekeeping(runtime: FederationRuntime) -> None:
    """Purge expired nonces, old inbox receipts, delivered feed hints and tombstones past
    retention."""
    assert runtime.session_factory is not None
    session = runtime.session_factory()
    try:
        purge_nonces(session, now_ms())
        session.execute(delete(InboxReceipt).where(
            InboxReceipt.received_at < utcnow() - RECEIPT_RETENTION))
        session.execute(delete(OutboxMessage).where(
            OutboxMessage.message_type == FEED_HINT, OutboxMessage.status == DELIVERY_DONE))
        session.execute(delete(RateLimitBucket).where(
            RateLimitBucket.window_start_ms < now_ms() - 86_400_000))
        feed.purge_tombstones(session)
        session.commit()
    finally:
        session.close()


def run_round(runtime: FederationRuntime, *, force: bool = False,
              progress: sync.Progress | None = None) -> RoundReport:
    """One federation round, unless another process is running one (then ``ran`` is False)."""
    assert runtime.session_factory is not None
    holder = holder_name()
    session = runtime.session_factory()
    try:
        if not try_lock(session, ROUND_LOCK, holder):
            logger.info("another process is running the federation round")
            return RoundReport(ran=False)
        try:
            report = RoundReport(ran=True)
            report.confirmed = confirm_peerings(runtime)
            report.delivered = inbox.deliver_due(runtime)
            report.results = sync.sync_all(runtime, force=force, progress=progress)
            housekeeping(runtime)
            return report
        finally:
            release_lock(session, ROUND_LOCK, holder)
    finally:
        session.close()


def run_forever(runtime: FederationRuntime, interval: float = 60.0) -> None:
    """Run a round every ``interval`` seconds (peers that sent a hint are due at once)."""
    while True:
        started = time.monotonic()
        try:
            run_round(runtime)
        except Exception:
            logger.exception("federation round failed")
        time.sleep(max(1.0, interval - (time.monotonic() - started)))


def pull_now(runtime: FederationRuntime, peer_id: int) -> sync.SyncResult | None:
    """Pull one peer at once (after its ``feed.hint``) unless a round is running; the round
    will pull it anyway since the hint made it due."""
    assert runtime.session_factory is not None
    holder = holder_name() + ":hint"
    session = runtime.session_factory()
    try:
        if not try_lock(session, ROUND_LOCK, holder):
            return None
        try:
            return sync.sync_peer(runtime, peer_id)
        finally:
            release_lock(session, ROUND_LOCK, holder)
    finally:
        session.close()
