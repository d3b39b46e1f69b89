"""Reads of the notifications feature."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ..members.models import Member
from .kinds import KINDS, kinds_for
from .models import Notification, NotificationPreference, OutgoingMail


def unread_select(member: Member) -> Select:
    """The statement counting ``member``'s unread notifications."""
    return select(func.count()).select_from(Notification).where(
        Notification.member_id == member.id, Notification.read_at.is_(None))


def unread_count(session: Session, member: Member) -> int:
    return session.scalar(unread_select(member)) or 0


def params_of(notification: Notification) -> dict:
    return json.loads(notification.params_json or "{}")


def get_for(session: Session, member: Member, notification_id: int) -> Notification | None:
    return session.scalar(select(Notification).where(Notification.id == notification_id,
                                                     Notification.member_id == member.id))


def list_for(session: Session, member: Member, *, limit: int = 50, offset: int = 0,
             unread_only: bool = False) -> list[Notification]:
    query = select(Notification).where(Notification.member_id == member.id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return list(session.scalars(query.order_by(Notification.created_at.desc(), Notification.id.desc())
                                .limit(limit).offset(offset)))


@dataclass(frozen=True)
class Choice:
    kind: str
    channel: str
    is_default: bool


def choices_for(session: Session, member: Member) -> list[Choice]:
    """Each kind the member may get, with how they get it."""
    chosen = {p.kind: p.channel for p in session.scalars(
        select(NotificationPreference).where(NotificationPreference.member_id == member.id))}
    return [Choice(k.name, chosen.get(k.name, k.default), k.name not in chosen)
            for k in kinds_for(member.is_manager)]


def recent_mails(session: Session, *, limit: int = 100) -> list[OutgoingMail]:
    """The latest mails of the node, for the managers' outbox page."""
    return list(session.scalars(select(OutgoingMail).order_by(OutgoingMail.id.desc()).limit(limit)))


def mail_counts(session: Session) -> dict[str, int]:
    return dict(session.execute(select(OutgoingMail.status, func.count())
                                .group_by(OutgoingMail.status)).all())


def digest_items(session: Session, member: Member, since: datetime) -> list[Notification]:
    """Unread notifications of the kinds the member wants in the digest, since ``since``."""
    from .kinds import DIGEST

    wanted = {c.kind for c in choices_for(session, member) if c.channel == DIGEST}
    if not wanted:
        return []
    return list(session.scalars(select(Notification).where(
        Notification.member_id == member.id, Notification.read_at.is_(None),
        Notification.kind.in_(wanted), Notification.created_at >= since)
        .order_by(Notification.created_at)))


__all__ = ["KINDS", "Choice", "choices_for", "digest_items", "list_for", "mail_counts",
           "params_of", "recent_mails", "unread_count", "unread_select"]
