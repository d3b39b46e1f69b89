"""Drop-in check-ins: who is at the space today, by half-day or day; no clocking-in duty.

Check-ins and event attendance stay in the database for the engagement dashboard:
:func:`attendance_summary` is the query it reads."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..errors import N_, Conflict, NotFound
from ..members.models import Member, MemberStatus
from .models import CheckIn, EventOccurrence, Registration, RegistrationStatus

logger = logging.getLogger(__name__)

#: Local time that splits the morning from the afternoon.
MIDDAY = time(13, 0)


def _half(local: datetime) -> str:
    return "morning" if local.time() < MIDDAY else "afternoon"


def _merge(current: str, new: str) -> str:
    return current if current == new else "day"


def today_row(session: Session, member_id: int, now: datetime, tz: tzinfo) -> CheckIn | None:
    return session.scalar(select(CheckIn).where(CheckIn.member_id == member_id,
                                                CheckIn.day == now.astimezone(tz).date()))


def check_in(session: Session, member: Member, now: datetime, tz: tzinfo, *,
             recorded_by: Member | None = None, period: str | None = None) -> CheckIn:
    """Record that ``member`` is at the space today (again, after checking out, widens the day)."""
    if not member.is_active:
        raise NotFound(N_("No such member."))
    local = now.astimezone(tz)
    row = today_row(session, member.id, now, tz)
    if row is not None and row.checked_out_at is None:
        raise Conflict(N_("Already checked in today."), code="already_checked_in")
    chosen = period or _half(local)
    if row is None:
        row = CheckIn(member_id=member.id, day=local.date(), period=chosen, checked_in_at=now)
        session.add(row)
    else:
        row.period = _merge(row.period, chosen)
        row.checked_out_at = None
    row.recorded_by_id = (recorded_by or member).id
    session.flush()
    return row


def check_out(session: Session, member: Member, now: datetime, tz: tzinfo, *,
              recorded_by: Member | None = None) -> CheckIn:
    """Record that ``member`` left; a stay over both halves of the day counts as a day."""
    row = today_row(session, member.id, now, tz)
    if row is None or row.checked_out_at is not None:
        raise Conflict(N_("Not checked in today."), code="not_checked_in")
    row.checked_out_at = now
    row.period = _merge(row.period, _half(now.astimezone(tz)))
    row.recorded_by_id = (recorded_by or member).id
    session.flush()
    return row


def active_members(session: Session) -> list[Member]:
    """Members the manager may check in, by name."""
    return list(session.scalars(select(Member).where(Member.status == MemberStatus.ACTIVE)
                                .order_by(Member.display_name)))


def who_is_here(session: Session, now: datetime, tz: tzinfo, *, include_left: bool = False) -> list[CheckIn]:
    """Today's check-ins, those still here first (or only them)."""
    query = (select(CheckIn).join(Member, Member.id == CheckIn.member_id)
             .where(CheckIn.day == now.astimezone(tz).date(), Member.status == MemberStatus.ACTIVE)
             .order_by(CheckIn.checked_in_at))
    if not include_left:
        query = query.where(CheckIn.checked_out_at.is_(None))
    rows = list(session.scalars(query))
    return sorted(rows, key=lambda r: r.checked_out_at is not None)


@dataclass(frozen=True)
class AttendanceSummary:
    member_id: int
    since: date
    days_at_space: int
    full_days: int
    half_days: int
    last_day_at_space: date | None
    events_registered: int
    events_attended: int
    no_shows: int


def attendance_summary(session: Session, member_id: int, since: date | datetime) -> AttendanceSummary:
    """How much a member came since ``since``: drop-in days and event attendance."""
    since_day = since.date() if isinstance(since, datetime) else since
    rows = session.execute(
        select(CheckIn.period, func.count(), func.max(CheckIn.day))
        .where(CheckIn.member_id == member_id, CheckIn.day >= since_day).group_by(CheckIn.period)
    ).all()
    by_period = {period: count for period, count, _last in rows}
    last_days = [last for _p, _c, last in rows if last is not None]
    since_at = datetime.combine(since_day, time(0), tzinfo=UTC)
    registrations = session.execute(
        select(Registration.attendance, func.count()).join(EventOccurrence)
        .where(Registration.member_id == member_id, Registration.status == RegistrationStatus.CONFIRMED,
               EventOccurrence.start_at >= since_at)
        .group_by(Registration.attendance)
    ).all()
    by_attendance = {attendance: count for attendance, count in registrations}
    return AttendanceSummary(
        member_id=member_id, since=since_day,
        days_at_space=sum(by_period.values()), full_days=by_period.get("day", 0),
        half_days=by_period.get("morning", 0) + by_period.get("afternoon", 0),
        last_day_at_space=max(last_days) if last_days else None,
        events_registered=sum(by_attendance.values()),
        events_attended=by_attendance.get("present", 0), no_shows=by_attendance.get("no_show", 0),
    )

