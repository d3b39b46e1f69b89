"""Work the unit of work owes after a commit (``node.uow``): one row per reaction and committed
transaction, written in that transaction, deleted in the transaction that carries the work out.
A row that stays (the work failed, the process died) is retried by the scheduler."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..orm import Base, UTCDateTime, utcnow


class PendingWork(Base):
    """What a reaction must still do: its name, the domain events that asked for it (JSON)."""

    __tablename__ = "pending_work"
    __table_args__ = (Index("ix_pending_work_due", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reaction: Mapped[str] = mapped_column(String(64))
    events_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
