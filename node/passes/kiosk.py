"""Kiosk sessions: a manager turns a tablet at the entrance into a front desk that can only
check passes and record visits. The tablet's browser holds a random token (its session cookie
holds nothing else: no member is signed in there); the node keeps only the token's hash. The
kiosk ends when a manager ends it, when someone leaves kiosk mode on the tablet, after
:data:`LIFETIME`, or as soon as the manager who opened it is no longer an active manager."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import N_, Forbidden, NotFound
from ..members.models import Member
from .models import PassKiosk

#: How long a kiosk stays open (a day at the entrance); the manager opens it again after.
LIFETIME = timedelta(hours=16)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def open_kiosk(session: Session, manager: Member, now: datetime) -> tuple[PassKiosk, str]:
    """A new kiosk opened by ``manager``; returns it and the clear token for the tablet."""
    if not (manager.is_active and manager.is_manager):
        raise Forbidden(N_("Only a community manager can do this."))
    token = secrets.token_urlsafe(32)
    kiosk = PassKiosk(token_hash=_hash(token), opened_by_id=manager.id, opened_at=now,
                      expires_at=now + LIFETIME)
    session.add(kiosk)
    session.flush()
    return kiosk, token


def _usable(kiosk: PassKiosk | None, now: datetime) -> bool:
    return (kiosk is not None and kiosk.ended_at is None and now < kiosk.expires_at
            and kiosk.opened_by.is_active and kiosk.opened_by.is_manager)


def kiosk_for_token(session: Session, token: str | None, now: datetime) -> PassKiosk | None:
    """The open kiosk this token belongs to, or None (unknown, ended, expired, or its manager
    suspended or no longer a manager)."""
    if not token:
        return None
    kiosk = session.scalar(select(PassKiosk).where(PassKiosk.token_hash == _hash(token)))
    return kiosk if _usable(kiosk, now) else None


def open_kiosks(session: Session, now: datetime) -> list[PassKiosk]:
    """The kiosks still open, oldest first (the front desk lists them, each with "End")."""
    rows = session.scalars(select(PassKiosk).where(
        PassKiosk.ended_at.is_(None), PassKiosk.expires_at > now).order_by(PassKiosk.opened_at))
    return [kiosk for kiosk in rows if _usable(kiosk, now)]


def end_kiosk(session: Session, kiosk_id: int, now: datetime) -> PassKiosk:
    """End a kiosk (a manager, from the front desk, or the tablet itself): its token opens
    nothing any more. Ending an ended kiosk changes nothing."""
    kiosk = session.get(PassKiosk, kiosk_id)
    if kiosk is None:
        raise NotFound(N_("No such kiosk."))
    if kiosk.ended_at is None:
        kiosk.ended_at = now
    session.flush()
    return kiosk
