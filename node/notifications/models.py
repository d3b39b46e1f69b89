"""Notifications of members, their per-kind preferences, and the durable mail outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..orm import Base, UTCDateTime, utcnow

#: States of an outgoing mail.
MAIL_QUEUED = "queued"
MAIL_SENT = "sent"
MAIL_FAILED = "failed"


class Notification(Base):
    """Something that happened that concerns one member: its kind, the values its text names
    (JSON), the page where they act, and when they read it."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_member_unread", "member_id", "read_at"),
        UniqueConstraint("member_id", "dedupe_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(64))
    params_json: Mapped[str] = mapped_column(Text, default="{}")
    link: Mapped[str] = mapped_column(String(500), default="")
    #: A kind sent once per thing (e.g. one reminder per registration); NULL: no such rule.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class NotificationPreference(Base):
    """How a member wants one kind: ``mail`` (at once), ``portal`` (only here), ``digest``."""

    __tablename__ = "notification_preferences"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"),
                                           primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))


class OutgoingMail(Base):
    """One mail, written in the transaction of the change that causes it and sent after the
    commit (retried with backoff by the scheduler's ``mail.send`` job until sent or failed)."""

    __tablename__ = "outgoing_mails"
    __table_args__ = (Index("ix_outgoing_mails_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    to: Mapped[str] = mapped_column(String(320))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"),
                                                  nullable=True)
    notification_id: Mapped[int | None] = mapped_column(
        ForeignKey("notifications.id", ondelete="SET NULL"), nullable=True)
    kind: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(8), default="fr")
    #: An iCalendar attachment (a registration's confirmation), or NULL.
    ics: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: A mail composed by its sender (seat offers, cancellations, the digest, account mails):
    #: sent as it is. NULL for a notification's mail, composed when sent.
    subject: Mapped[str | None] = mapped_column(String(300), nullable=True)
    body: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default=MAIL_QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
