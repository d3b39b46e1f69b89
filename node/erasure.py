"""Erasing an account (above every feature it touches: the layers in pyproject.toml), whoever asks (the member leaving, or a manager): what the member holds
in the community is let go first, as if they had cancelled it themselves, then the account
goes (:func:`node.accounts.accounts.erase_member`), and with it, after the commit, the
directory tombstones and the network passes' revocations (docs/PRIVACY.md §9).

Let go first, in the same unit of work:

- their seats and waitlist places here: each cancelled as by the member, so a freed seat is
  offered to the next in line (the offers are returned, to be mailed after the commit);
- their registrations to sessions hosted by other spaces: a cancellation is queued to each
  host, so no seat stays held there for someone who no longer exists here.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from .accounts import accounts
from .events import registrations
from .events.models import Registration
from .members.models import Member
from .regional import regional
from .regional import registration as remote
from .regional.models import RemoteRegistration


def erase_account(session: Session, actor: Member, member: Member, now: datetime,
                  offer_ttl: timedelta) -> list[Registration]:
    """Erase ``member``'s account (``actor``: the member, or a manager), after cancelling
    their registrations here and elsewhere. Returns the seat offers made by the freed seats
    (to mail after the commit). Flushes; refused (nothing changed) when ``actor`` may not."""
    accounts.require_erasable(session, actor, member)
    offers: list[Registration] = []
    held = session.scalars(select(Registration).where(
        Registration.member_id == member.id, Registration.status.in_(registrations.ACTIVE))
        .order_by(Registration.id)).all()
    for registration in held:
        offers += registrations.cancel_registration(session, registration, now, offer_ttl)
    elsewhere = session.scalars(select(RemoteRegistration).where(
        RemoteRegistration.member_id == member.id, RemoteRegistration.action == "register",
        RemoteRegistration.status.in_(remote.ACTIVE)).order_by(RemoteRegistration.id)).all()
    for row in elsewhere:
        copy = regional.session_by_object_id(session, row.session_object_id)
        if copy is not None and not copy.is_local:
            remote.cancel_remote(session, member, copy)
    accounts.erase_member(session, actor, member)
    return [offer for offer in offers if offer.member_id != member.id]
