"""Fixed-window request counters in the database, so every worker and host shares them.

Used for the unauthenticated peering endpoint: each request is counted (in its own short
transaction, committed before the request is handled, so refused requests count too) against
its source address and against everyone.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass

from sqlalchemy import update
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
        try:
            session.commit()
        except IntegrityError:  # another worker created the bucket first: count again
            session.rollback()
            continue
        bucket = session.get(RateLimitBucket, key, populate_existing=True)
        return bucket.count if bucket is not None else 1
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
