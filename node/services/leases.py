"""Named leases shared through the database (``federation_locks``): one process at a time runs
the federation round, a prompted pull, or a periodic job, whatever the number of workers or
hosts. Taking a lease is an UPDATE that only succeeds when the lease is free or expired (or
already ours), which serialises on both PostgreSQL and SQLite."""

from __future__ import annotations

import os
import socket

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from federation.keys import now_ms

from ..models import FederationLock

LOCK_TTL_MS = 10 * 60 * 1000


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
    """Free the named lease if we still hold it; commits."""
    session.execute(update(FederationLock)
                    .where(FederationLock.name == name, FederationLock.holder == holder)
                    .values(holder="", expires_ms=0))
    session.commit()
