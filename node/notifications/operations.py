"""Writes of the notifications feature: tell a member (or the managers), read, choose how.

``notify`` writes the notification and, when the member wants this kind by mail, its mail in
the caller's transaction; the mail leaves after the commit (``MailQueued``, a nudge) or at the
scheduler's next ``mail.send`` run. No Flask here: words are chosen when shown or sent.
"""

from __future__ import annotations

import json
from datetime import datetime

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..domain_events import MailQueued
from ..errors import N_, NotFound, ValidationError
from ..members.models import Member
from ..orm import utcnow
from ..uow import record
from .kinds import CHANNELS, KINDS, MAIL, MANAGER, PORTAL
from .models import Notification, NotificationPreference, OutgoingMail


def _json_value(value):
    return value.isoformat() if isinstance(value, datetime) else value


def channel_for(session: Session, member: Member, kind: str) -> str:
    preference = session.get(NotificationPreference, (member.id, kind))
    return preference.channel if preference is not None else KINDS[kind].default


def notify(session: Session, member: Member, kind: str, *, link: str, params: dict | None = None,
           dedupe_key: str | None = None, ics: str | None = None,
           now: datetime | None = None) -> Notification | None:
    """Tell ``member`` that ``kind`` happened; ``link`` is the page where they act (a path).
    Returns None when a notification with the same ``dedupe_key`` exists (told once) or the
    member is not active. Flushes."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    if member is None or member.status != "active":
        return None
    if dedupe_key is not None and session.scalar(select(Notification.id).where(
            Notification.member_id == member.id, Notification.dedupe_key == dedupe_key)):
        return None
    now = now or utcnow()
    params = {name: _json_value(value) for name, value in (params or {}).items()}
    notification = Notification(member_id=member.id, kind=kind, link=link, created_at=now,
                                params_json=json.dumps(params, ensure_ascii=False),
                                dedupe_key=dedupe_key)
    session.add(notification)
    session.flush()
    if channel_for(session, member, kind) == MAIL and member.email:
        mail = OutgoingMail(to=member.email, member_id=member.id, notification_id=notification.id,
                            kind=kind, locale=member.locale or "", ics=ics, created_at=now,
                            next_attempt_at=now)
        session.add(mail)
        session.flush()
        record(session, MailQueued(mail.id))
    return notification


def notify_managers(session: Session, kind: str, *, link: str, params: dict | None = None,
                    dedupe_key: str | None = None, now: datetime | None = None) -> int:
    """Tell every active manager; returns how many were told."""
    if KINDS[kind].audience != MANAGER:
        raise ValueError(f"{kind} is not a managers' kind")
    managers = session.scalars(select(Member).where(Member.role == "manager",
                                                    Member.status == "active")).all()
    return sum(notify(session, m, kind, link=link, params=params, dedupe_key=dedupe_key,
                      now=now) is not None for m in managers)


def mark_read(session: Session, member: Member, notification_id: int | None = None, *,
              now: datetime | None = None) -> int:
    """Mark one of the member's notifications read (or all of them with ``None``)."""
    query = update(Notification).where(Notification.member_id == member.id,
                                       Notification.read_at.is_(None))
    if notification_id is not None:
        if session.scalar(select(Notification.id).where(
                Notification.id == notification_id, Notification.member_id == member.id)) is None:
            raise NotFound(N_("No such notification."))
        query = query.where(Notification.id == notification_id)
    result = session.execute(query.values(read_at=now or utcnow()))
    session.flush()
    return result.rowcount or 0


def set_channel(session: Session, member: Member, kind: str, channel: str) -> NotificationPreference:
    """Choose how ``member`` gets ``kind``: by mail at once, in the portal only, or in the digest."""
    if kind not in KINDS or (KINDS[kind].audience == MANAGER and not member.is_manager):
        raise ValidationError(N_("Unknown notification kind."), fields={"kind": [N_("Unknown notification kind.")]})
    if channel not in CHANNELS:
        raise ValidationError(N_("Unknown channel."), fields={"channel": [N_("Unknown channel.")]})
    preference = session.get(NotificationPreference, (member.id, kind))
    if preference is None:
        preference = NotificationPreference(member_id=member.id, kind=kind, channel=channel)
        session.add(preference)
    preference.channel = channel
    session.flush()
    return preference


# --- one-click unsubscribe (a signed link in every mail) ----------------------------------------

_UNSUBSCRIBE_SALT = "coworknet.notifications.unsubscribe"


def unsubscribe_token(secret: str, member_id: int, kind: str) -> str:
    return URLSafeSerializer(secret, salt=_UNSUBSCRIBE_SALT).dumps([member_id, kind])


def read_unsubscribe_token(session: Session, secret: str, token: str) -> tuple[Member, str]:
    """The member and kind a link stops mailing; NotFound for a forged or stale link."""
    try:
        member_id, kind = URLSafeSerializer(secret, salt=_UNSUBSCRIBE_SALT).loads(token)
    except (BadSignature, ValueError, TypeError):
        raise NotFound(N_("This link is not valid.")) from None
    member = session.get(Member, member_id) if isinstance(member_id, int) else None
    if member is None or kind not in KINDS:
        raise NotFound(N_("This link is not valid."))
    return member, kind


def unsubscribe(session: Session, member: Member, kind: str) -> NotificationPreference:
    """No more mail for this kind: the notifications stay in the portal."""
    return set_channel(session, member, kind, PORTAL)
