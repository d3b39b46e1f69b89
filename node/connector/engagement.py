"""Engagement of the space's members, month by month: a participation score and segments.

Activity comes from *sources*, each counting per member what happened in a period: events
attended (registrations marked present) and drop-in check-ins from the events area's tables,
needs answered, introductions and referrals from the connector. Other areas can add their own
with ``register_activity_source``.

Score = 3 × events + 1 × check-ins + 4 × needs answered + 5 × introductions + 5 × referrals.

Segments of a month (``community`` = events + needs answered + introductions + referrals):

- **engaged**: ``community ≥ 2``;
- **tenant**: no community activity but at least ``TENANT_MIN_CHECKINS`` (4) check-ins —
  uses the desk and nothing else;
- **dormant**: no community activity and no check-in;
- **occasional**: everything in between.

A **regular** has at least ``regular_checkins`` check-ins in the month (setting, default 8).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..events.models import CheckIn, EventOccurrence, Registration
from ..members.models import Member, MemberStatus
from .models import Candidate, ConnectorSettings, NeedAnswer, QueueItem, Referral

ActivitySource = Callable[[Session, datetime, datetime], dict[int, int]]

KINDS = ("events", "checkins", "answers", "introductions", "referrals")
WEIGHTS = {"events": 3, "checkins": 1, "answers": 4, "introductions": 5, "referrals": 5}
SEGMENTS = ("engaged", "occasional", "tenant", "dormant")
ENGAGED_MIN_COMMUNITY = 2
TENANT_MIN_CHECKINS = 4

ACTIVITY_SOURCES: dict[str, list[ActivitySource]] = {kind: [] for kind in KINDS}


def register_activity_source(kind: str) -> Callable[[ActivitySource], ActivitySource]:
    """Register a function counting, per member id, activities of ``kind`` in [start, end)."""
    if kind not in KINDS:
        raise ValueError(kind)

    def register(fn: ActivitySource) -> ActivitySource:
        if fn not in ACTIVITY_SOURCES[kind]:
            ACTIVITY_SOURCES[kind].append(fn)
        return fn

    return register


@register_activity_source("checkins")
def _checkins(session: Session, start: datetime, end: datetime) -> dict[int, int]:
    """Days at the space (drop-in check-ins of the events area), half days included."""
    rows = session.execute(
        select(CheckIn.member_id, func.count()).where(
            CheckIn.day >= start.date(), CheckIn.day < end.date()
        ).group_by(CheckIn.member_id)
    )
    return {member_id: int(n) for member_id, n in rows}


@register_activity_source("events")
def _events(session: Session, start: datetime, end: datetime) -> dict[int, int]:
    """Event sessions a member attended (marked present), by the session's start."""
    rows = session.execute(
        select(Registration.member_id, func.count())
        .join(EventOccurrence, EventOccurrence.id == Registration.occurrence_id)
        .where(Registration.member_id.is_not(None), Registration.attendance == "present",
               EventOccurrence.start_at >= start, EventOccurrence.start_at < end)
        .group_by(Registration.member_id)
    )
    return {member_id: int(n) for member_id, n in rows}


@register_activity_source("answers")
def _answers(session: Session, start: datetime, end: datetime) -> dict[int, int]:
    rows = session.execute(
        select(NeedAnswer.member_id, func.count()).where(
            NeedAnswer.created_at >= start, NeedAnswer.created_at < end
        ).group_by(NeedAnswer.member_id)
    )
    return {member_id: int(n) for member_id, n in rows}


@register_activity_source("introductions")
def _introductions(session: Session, start: datetime, end: datetime) -> dict[int, int]:
    """An accepted introduction counts for the candidate and for the member who asked."""
    counts: dict[int, int] = {}
    rows = session.execute(
        select(Candidate.member_id, QueueItem.requester_id)
        .join(QueueItem, QueueItem.id == Candidate.item_id)
        .where(Candidate.consent == "accepted", Candidate.decided_at >= start, Candidate.decided_at < end)
    )
    for candidate_id, requester_id in rows:
        for member_id in (candidate_id, requester_id):
            if member_id is not None:
                counts[member_id] = counts.get(member_id, 0) + 1
    return counts


@register_activity_source("referrals")
def _referrals(session: Session, start: datetime, end: datetime) -> dict[int, int]:
    """A referral counts for the member who recommends and for the one recommended."""
    counts: dict[int, int] = {}
    rows = session.execute(
        select(Referral.referrer_id, Referral.referee_id).where(
            Referral.created_at >= start, Referral.created_at < end)
    )
    for pair in rows:
        for member_id in pair:
            counts[member_id] = counts.get(member_id, 0) + 1
    return counts


@dataclass
class MemberActivity:
    member_id: int
    display_name: str
    counts: dict[str, int] = field(default_factory=dict)

    def __getattr__(self, name: str) -> int:
        if name in KINDS:
            return self.counts.get(name, 0)
        raise AttributeError(name)

    @property
    def community(self) -> int:
        return sum(self.counts.get(k, 0) for k in ("events", "answers", "introductions", "referrals"))

    @property
    def score(self) -> int:
        return sum(WEIGHTS[k] * self.counts.get(k, 0) for k in KINDS)

    @property
    def segment(self) -> str:
        return segment_of(self.community, self.counts.get("checkins", 0))


def segment_of(community: int, checkins: int) -> str:
    """The documented segment rules (see the module docstring)."""
    if community >= ENGAGED_MIN_COMMUNITY:
        return "engaged"
    if community == 0 and checkins >= TENANT_MIN_CHECKINS:
        return "tenant"
    if community == 0 and checkins == 0:
        return "dormant"
    return "occasional"


def month_bounds(month: date) -> tuple[datetime, datetime]:
    start = datetime(month.year, month.month, 1, tzinfo=UTC)
    end = datetime(month.year + (month.month == 12), month.month % 12 + 1, 1, tzinfo=UTC)
    return start, end


def previous_months(month: date, count: int) -> list[date]:
    """``count`` first days of month ending with ``month``, oldest first."""
    months = []
    year, mon = month.year, month.month
    for _ in range(count):
        months.append(date(year, mon, 1))
        year, mon = (year - 1, 12) if mon == 1 else (year, mon - 1)
    return list(reversed(months))


def _members_at(session: Session, end: datetime) -> list[Member]:
    """Members of the space (managers left out) who had joined before ``end``."""
    return list(session.scalars(
        select(Member).where(Member.role == "member", Member.created_at < end,
                             Member.status == MemberStatus.ACTIVE)
        .order_by(Member.display_name, Member.id)
    ))


def month_activity(session: Session, month: date) -> list[MemberActivity]:
    """Every member's activity counts for the calendar month of ``month``."""
    start, end = month_bounds(month)
    members = _members_at(session, end)
    rows = {m.id: MemberActivity(m.id, m.display_name) for m in members}
    for kind, sources in ACTIVITY_SOURCES.items():
        for source in sources:
            for member_id, count in source(session, start, end).items():
                if member_id in rows:
                    rows[member_id].counts[kind] = rows[member_id].counts.get(kind, 0) + count
    return sorted(rows.values(), key=lambda r: (-r.score, r.display_name.casefold()))


def segment_counts(rows: list[MemberActivity]) -> dict[str, int]:
    counts = dict.fromkeys(SEGMENTS, 0)
    for row in rows:
        counts[row.segment] += 1
    return counts


def get_settings(session: Session) -> ConnectorSettings:
    """The connector settings row, created with defaults on first use."""
    settings = session.scalar(select(ConnectorSettings).limit(1))
    if settings is None:
        settings = ConnectorSettings(digest_enabled=True, goal_members=100, goal_regulars=60,
                                     regular_checkins=8)
        session.add(settings)
        session.flush()
    return settings


def update_goal(session: Session, *, goal_members: int, goal_regulars: int, regular_checkins: int) -> ConnectorSettings:
    """The manager sets the membership goal and what makes a regular."""
    settings = get_settings(session)
    settings.goal_members = goal_members
    settings.goal_regulars = min(goal_regulars, goal_members)
    settings.regular_checkins = regular_checkins
    session.flush()
    return settings


@dataclass(frozen=True)
class Dashboard:
    month: date
    rows: list[MemberActivity]
    segments: dict[str, int]
    trend: list[tuple[date, dict[str, int]]]
    regulars: int
    goal_members: int
    goal_regulars: int
    regular_checkins: int

    @property
    def active_members(self) -> int:
        return len(self.rows)


def dashboard(session: Session, month: date, *, months: int = 6) -> Dashboard:
    """The month's per-member scores and segments, the trend and the membership goal."""
    settings = get_settings(session)
    trend = []
    rows: list[MemberActivity] = []
    for first in previous_months(month, months):
        rows = month_activity(session, first)
        trend.append((first, segment_counts(rows)))
    regulars = sum(1 for r in rows if r.checkins >= settings.regular_checkins)
    return Dashboard(month, rows, trend[-1][1], trend, regulars, settings.goal_members,
                     settings.goal_regulars, settings.regular_checkins)
