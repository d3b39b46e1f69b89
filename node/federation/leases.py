"""Named leases shared through the database (``federation_locks``): one process at a time runs
the federation round, a prompted pull, or a periodic job, whatever the number of workers or
hosts. Taking a lease is an UPDATE that only succeeds when the lease is free or expired (or
already ours), which serialises on both PostgreSQL and SQLite."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from federation.keys import now_ms

from .models import FederationLock

logger = logging.getLogger(__name__)

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


def renew_lock(session: Session, name: str, holder: str, ttl_ms: int) -> bool:
    """Push our lease's expiry to ``ttl_ms`` from now; commits. False when it is not ours
    any more (it expired and another process took it)."""
    result = session.execute(update(FederationLock)
                             .where(FederationLock.name == name, FederationLock.holder == holder)
                             .values(expires_ms=now_ms() + ttl_ms))
    session.commit()
    return result.rowcount == 1


@contextmanager
def held_lock(factory: Callable[[], Session], name: str, holder: str,
              ttl_ms: int = LOCK_TTL_MS) -> Iterator[bool]:
    """Take the named lease for the ``with`` block (yields False when another process holds
    it) and keep it however long the block runs: a thread renews it every third of
    ``ttl_ms``, in sessions of its own. The lease still expires ``ttl_ms`` after a holder
    that died, so the work is never locked out for longer than that."""
    session = factory()
    try:
        if not try_lock(session, name, holder, ttl_ms):
            yield False
            return
        stop = threading.Event()
        keeper = threading.Thread(target=_keep, args=(factory, name, holder, ttl_ms, stop),
                                  name=f"lease-{name}", daemon=True)
        keeper.start()
        try:
            yield True
        finally:
            stop.set()
            keeper.join()
            release_lock(session, name, holder)
    finally:
        session.close()


def _keep(factory: Callable[[], Session], name: str, holder: str, ttl_ms: int,
          stop: threading.Event) -> None:
    while not stop.wait(ttl_ms / 3000):
        session = factory()
        try:
            if not renew_lock(session, name, holder, ttl_ms):
                logger.warning("lease %s was lost: its holder was not heard from in time", name)
                return
        except SQLAlchemyError:  # the database is away for a moment: try again at the next beat
            logger.warning("lease %s could not be renewed", name, exc_info=True)
            session.rollback()
        finally:
            session.close()
