"""Fixed-window request counters in the database, so every worker and host shares them.

Used for the unauthenticated peering endpoint: each request is counted (in its own short
transaction, committed before the request is handled, so refused requests count too) against
its source address and against everyone.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from federation.errors import RateLimited
from federation.keys import now_ms

from .models import RateLimitBucket

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limit:
    """At most ``count`` requests per ``window_ms``."""

    count: int
    window_ms: int


#: An IPv6 client is counted by its /64: one subscriber line or host is usually given a whole
#: /64 (RFC 6177 recommends more), so single addresses would give it billions of fresh counters.
IPV6_GROUP_PREFIX = 64


def address_group(address: str) -> str:
    """The counter key of a client address: an IPv4 address as it is, an IPv6 address as its
    /64 network (``2001:db8:1:2::/64``), an IPv4-mapped IPv6 address as the IPv4 address.
    Anything that is not an IP address (a Unix socket, a test client) is kept, cut to 64."""
    try:
        ip = ipaddress.ip_address(address.strip().split("%", 1)[0])
    except ValueError:
        return address[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, IPV6_GROUP_PREFIX), strict=False))
    return str(ip)


def hit(session: Session, key: str, limit: Limit, now: int | None = None) -> int:
    """Count one request under ``key`` in the current window; commits. Returns the count."""
    now = now_ms() if now is None else now
    window = now - now % limit.window_ms
    for _attempt in range(3):
        try:
            count = _count_in_place(session, key, window)
            session.commit()
        except IntegrityError:  # another worker created the bucket first: count again
            session.rollback()
            continue
        return count
    return limit.count + 1


def check_peering_rate(session: Session, source: str, per_source: Limit, overall: Limit) -> None:
    """Count a peering request from ``source``; raise :class:`RateLimited` over either limit.
    Commits the counters (call it before the request's own work)."""
    if hit(session, f"peering:{address_group(source)}", per_source) > per_source.count:
        logger.warning("peering requests from one address over the limit")
        raise RateLimited("too many peering requests from this address; try again later")
    if hit(session, "peering:*", overall) > overall.count:
        logger.warning("peering requests over the global limit")
        raise RateLimited("too many peering requests; try again later")


# --- per-peer inbound limits (PROTOCOL §10) --------------------------------------------------

MINUTE_MS = 60_000
DAY_MS = 86_400_000


def peer_tag(peer_node_id: str) -> str:
    """A short fixed-length stand-in for a node id in counter keys (keys are 100 characters
    at most; a node id may be longer)."""
    return hashlib.sha256(peer_node_id.encode("utf-8")).hexdigest()[:20]


def throttle_key(peer_node_id: str) -> str:
    """The counter of the refusals a peer met today (shown on the peers admin page)."""
    return f"throttled:{peer_tag(peer_node_id)}"


def note_throttled(session: Session, peer_node_id: str, what: str, *, commit: bool,
                   now: int | None = None) -> None:
    """Count one refusal of ``peer_node_id`` over a per-peer limit (``what``: which one),
    today's counter. ``commit``: committed now, in the session's transaction (the caller
    rolled the request back: it is about to be refused); else in the caller's transaction
    (it commits a refusing answer)."""
    logger.warning("peer %s throttled: %s", peer_node_id, what)
    count_in_transaction(session, throttle_key(peer_node_id), DAY_MS, now)
    if commit:
        session.commit()


def count_in_transaction(session: Session, key: str, window_ms: int,
                         now: int | None = None) -> int:
    """Count one under ``key`` in the current fixed window, in the caller's transaction
    (rolled back with it), inside a savepoint so that a first insert racing another
    worker's is counted again rather than failing the transaction. Returns the count."""
    now = now_ms() if now is None else now
    window = now - now % window_ms
    for _attempt in range(2):
        try:
            with session.begin_nested():
                return _count_in_place(session, key, window)
        except IntegrityError:
            continue
    return _count_in_place(session, key, window)


def _count_in_place(session: Session, key: str, window: int) -> int:
    same = session.execute(
        update(RateLimitBucket)
        .where(RateLimitBucket.key == key, RateLimitBucket.window_start_ms == window)
        .values(count=RateLimitBucket.count + 1))
    if same.rowcount != 1:
        fresh = session.execute(
            update(RateLimitBucket)
            .where(RateLimitBucket.key == key, RateLimitBucket.window_start_ms < window)
            .values(window_start_ms=window, count=1))
        if fresh.rowcount != 1:
            session.add(RateLimitBucket(key=key, window_start_ms=window, count=1))
            session.flush()
            return 1
    return session.scalar(select(RateLimitBucket.count).where(RateLimitBucket.key == key)) or 1


def check_inbound(session: Session, peer_node_id: str, quotas: list[tuple[str, Limit, str]],
                  now: int | None = None) -> None:
    """Count one inbound message of ``peer_node_id`` against each ``(key, limit, what)``, in
    the request's transaction (a request refused later takes its counts back with it). Over
    one: the request is rolled back (its nonce too: nothing of it stays), the refusal is
    counted and committed, and :class:`RateLimited` (429) raised. Call it before any write
    of the request's own but the nonce."""
    tag = peer_tag(peer_node_id)
    for key, limit, what in quotas:
        if count_in_transaction(session, f"peer:{tag}:{key}"[:100], limit.window_ms, now) > limit.count:
            session.rollback()
            note_throttled(session, peer_node_id, what, commit=True, now=now)
            raise RateLimited(f"too many {what} from this peer; try again later")


def throttles_today(session: Session, peer_node_ids: list[str],
                    now: int | None = None) -> dict[str, int]:
    """Peer node id → how many times it was refused over a per-peer limit today (UTC), for
    the peers refused at least once."""
    now = now_ms() if now is None else now
    window = now - now % DAY_MS
    keys = {throttle_key(node_id): node_id for node_id in peer_node_ids}
    if not keys:
        return {}
    rows = session.execute(select(RateLimitBucket.key, RateLimitBucket.count).where(
        RateLimitBucket.key.in_(list(keys)), RateLimitBucket.window_start_ms == window))
    return {keys[key]: count for key, count in rows}
