"""The federation round: confirm peerings, deliver queued messages, pull every due peer,
expire leases and purge old nonces, receipts and tombstones; then run the node's due periodic
jobs (``node.federation.jobs``: seat offers, digest, peer statistics).

Only one process runs a round at a time, whatever the number of workers or hosts: the round
holds a lease row in ``federation_locks`` (``node.federation.leases``: an UPDATE that only
succeeds when the lease is free or expired, which serialises on both PostgreSQL and SQLite).
Each periodic job holds its own lease too.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import delete, select

from federation.keys import now_ms
from federation.messages import FEED_HINT

from ..orm import utcnow
from . import feed, inbox, jobs, peers, sync
from .jobs import JobOutcome
from .keyring import FederationRuntime
from .leases import LOCK_TTL_MS, held_lock, holder_name, release_lock, try_lock
from .models import (
    APPROVED,
    DELIVERY_DONE,
    REQUESTED_BY_US,
    InboxReceipt,
    OutboxMessage,
    Peer,
    RateLimitBucket,
)

# The lease helpers moved to ``leases``; they stay importable from here.
__all__ = ["LOCK_TTL_MS", "ROUND_LOCK", "RoundReport", "confirm_peerings", "holder_name",
           "housekeeping", "pull_hinted", "release_lock", "run_due_jobs", "run_forever", "run_round",
           "try_lock"]
from .nonces import purge_nonces

logger = logging.getLogger(__name__)

ROUND_LOCK = "federation.round"
#: A round that found its lease held is tried again this soon.
LEASE_RETRY_SECONDS = 2.0
RECEIPT_RETENTION = timedelta(days=8)


@dataclass
class RoundReport:
    ran: bool
    confirmed: int = 0
    delivered: int = 0
    results: list[sync.SyncResult] = field(default_factory=list)
    jobs: list[JobOutcome] = field(default_factory=list)


def confirm_peerings(runtime: FederationRuntime) -> int:
    """Re-send peering requests that have not reached their peer yet."""
    assert runtime.session_factory is not None
    session = runtime.session_factory()
    try:
        pending = list(session.scalars(select(Peer.id).where(
            Peer.needs_confirmation.is_(True), Peer.status.in_((APPROVED, REQUESTED_BY_US)))))
    finally:
        session.close()
    return peers.send_confirmations(runtime, pending)


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


def run_due_jobs(runtime: FederationRuntime) -> list[JobOutcome]:
    """Run the node's due periodic jobs after the federation work (each logs and records its
    own failure; none stops the round). Off with ``PERIODIC_JOBS = false``."""
    app = runtime.app
    if app is None or not app.config["PERIODIC_JOBS"]:
        return []
    return jobs.run_due(app)


def run_round(runtime: FederationRuntime, *, force: bool = False,
              progress: sync.Progress | None = None) -> RoundReport:
    """One federation round, unless another process is running one (then ``ran`` is False),
    followed by the due periodic jobs. The jobs run after the round's lease is released (each
    holds its own), so a long job never holds back a prompted pull or the next round."""
    assert runtime.session_factory is not None
    with held_lock(runtime.session_factory, ROUND_LOCK, holder_name(),
                   lease_ms(runtime)) as held:
        if not held:
            logger.info("another process is running the federation round")
            return RoundReport(ran=False)
        report = RoundReport(ran=True)
        report.confirmed = confirm_peerings(runtime)
        report.delivered = inbox.deliver_due(runtime)
        report.results = sync.sync_all(runtime, force=force, progress=progress)
        housekeeping(runtime)
    report.jobs = run_due_jobs(runtime)
    return report


def run_forever(runtime: FederationRuntime, interval: float = 60.0, *,
                stop: threading.Event | None = None) -> None:
    """Run a round every ``interval`` seconds and, in between, every
    ``FEDERATION_HINT_POLL_SECONDS``, the short loop: pull the peers that sent a ``feed.hint``
    (a hint is answered within a poll, never inside the web request that brought it) and
    send our own hints that the process that queued them did not send (it ended first). Until ``stop`` is set (never,
    without one)."""
    poll = _hint_poll_seconds(runtime)
    stop = stop or threading.Event()
    sending: set[int] = set()
    next_round = time.monotonic()
    while not stop.is_set():
        if time.monotonic() >= next_round:
            started = time.monotonic()
            ran = True
            try:
                ran = run_round(runtime).ran
            except Exception:
                logger.exception("federation round failed")
            # A round held by another process (or by one that died on another host, until
            # its lease runs out) is tried again within seconds, not an interval later.
            next_round = started + (max(1.0, interval) if ran else min(interval, LEASE_RETRY_SECONDS))
        else:
            try:
                feed.deliver_unsent_hints(runtime, sending)
            except Exception:
                logger.exception("sending unsent hints failed")
            try:
                pull_hinted(runtime)
            except Exception:
                logger.exception("pulling hinted peers failed")
        stop.wait(max(0.05, min(poll, next_round - time.monotonic())))


def lease_ms(runtime: FederationRuntime) -> int:
    """How long the scheduler's leases outlive a holder that stopped beating."""
    app = runtime.app
    return (int(float(app.config["FEDERATION_LEASE_SECONDS"]) * 1000) if app is not None
            else LOCK_TTL_MS)


def _hint_poll_seconds(runtime: FederationRuntime) -> float:
    app = runtime.app
    return float(app.config["FEDERATION_HINT_POLL_SECONDS"]) if app is not None else 0.25


def pull_hinted(runtime: FederationRuntime) -> list[sync.SyncResult] | None:
    """Pull the due peers that sent a ``feed.hint`` since their last pull, each within its
    bounds, unless a round is running (it pulls them anyway); None then. Cheap when no peer
    hinted: one query, no lease taken."""
    assert runtime.session_factory is not None
    session = runtime.session_factory()
    try:
        waiting = sync.due_peers(session, now_ms(), hinted_only=True)
    finally:
        session.close()
    if not waiting:
        return []
    with held_lock(runtime.session_factory, ROUND_LOCK, holder_name() + ":hint",
                   lease_ms(runtime)) as held:
        return sync.sync_all(runtime, hinted_only=True) if held else None
