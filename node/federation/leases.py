"""Named leases shared through the database (``federation_locks``): one process at a time runs
the federation round, a prompted pull, or a periodic job, whatever the number of workers or
hosts. Taking a lease is an UPDATE that only succeeds when the lease is free or expired (or
already ours), which serialises on both PostgreSQL and SQLite.

A dead holder gives its lease up within seconds, never minutes:

- **Heartbeat.** A lease lives ``FEDERATION_LEASE_SECONDS`` (15 s by default) and a thread of
  its holder renews it every third of that while the holder works (:func:`held_lock`): a
  holder that died on another host frees it that long after its last beat.
- **Liveness on the same host.** A holder is named by its host, process id and a tag that
  makes the name unique to that very process (the boot, the PID namespace and the process's
  start time; :func:`holder_name`). A process that finds the lease held by a process of its
  own host and PID namespace that is no longer running (or whose PID now belongs to another
  process) takes it at once: ``kill -9`` of ``coworknet sync`` and a restart by systemd resume
  the work without waiting for the heartbeat to run out.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from federation.keys import now_ms

from .models import FederationLock

logger = logging.getLogger(__name__)

#: A lease's time to live when its holder stops beating (``FEDERATION_LEASE_SECONDS``' default).
LOCK_TTL_MS = 15_000
_PROC = Path("/proc")


def _start_tick(pid: int) -> str | None:
    """The start time of process ``pid`` in clock ticks since boot (``/proc/PID/stat``), or
    None when there is no such process (or no ``/proc``)."""
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name, in parentheses, may hold spaces: the fields after it are counted
    # from its closing parenthesis (starttime is the 22nd field, the 20th after it).
    fields = stat[stat.rfind(")") + 2:].split()
    return fields[19] if len(fields) > 19 else None


@cache
def _namespace_tag() -> str:
    """What two processes must share for one to see whether the other runs: the same boot
    and the same PID namespace. Empty where there is no ``/proc`` (no liveness check then)."""
    try:
        boot = (_PROC / "sys/kernel/random/boot_id").read_text().strip().replace("-", "")[:8]
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return ""
    return f"{boot}.{namespace}"


def _process_tag(pid: int) -> str:
    namespace, started = _namespace_tag(), _start_tick(pid)
    return f"{namespace}.{started}" if namespace and started else ""


def holder_name() -> str:
    """This process as a lease holder: ``host:pid:tag`` (tag: boot, PID namespace and start
    time, empty where they cannot be read); callers append ``:suffix`` for a holder of their
    own (a thread, a run)."""
    return f"{socket.gethostname()}:{os.getpid()}:{_process_tag(os.getpid())}"[:100]


def holder_is_dead(holder: str) -> bool:
    """Whether ``holder`` (a :func:`holder_name`, with or without a suffix) names a process of
    this host and PID namespace that no longer runs. False whenever that cannot be told (an
    other host, a name of another form): its heartbeat decides then."""
    parts = holder.split(":")
    if len(parts) < 3 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    tag = parts[2]
    namespace = _namespace_tag()
    if not namespace or not tag.startswith(namespace + "."):
        return False
    pid = int(parts[1])
    if pid == os.getpid():
        return False  # ourselves (another thread's run): alive by definition
    return _process_tag(pid) != tag  # gone, or the PID now names a younger process


def try_lock(session: Session, name: str, holder: str, ttl_ms: int = LOCK_TTL_MS) -> bool:
    """Take the named lease if it is free, expired or held by a dead process of this host;
    commits. True when we hold it."""
    if session.get(FederationLock, name) is None:
        session.add(FederationLock(name=name, holder="", expires_ms=0))
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
    now = now_ms()
    free = or_(FederationLock.expires_ms < now, FederationLock.holder == holder)
    current = session.scalar(select(FederationLock.holder).where(FederationLock.name == name))
    if current and current != holder and holder_is_dead(current):
        # The same holder in the WHERE: if another process took it meanwhile, we do not.
        free = or_(free, FederationLock.holder == current)
        logger.warning("lease %s was held by %s, which no longer runs: taken over", name, current)
    result = session.execute(
        update(FederationLock).where(FederationLock.name == name, free)
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
    it) and keep it however long the block runs: a thread beats, renewing it every third of
    ``ttl_ms``, in sessions of its own. A holder that died frees it ``ttl_ms`` after its last
    beat, or at once for a process of the same host (:func:`holder_is_dead`)."""
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
