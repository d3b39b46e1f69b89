"""The weekly digest: per member, needs matching my skills, events matching my interests and
people I have not met yet. The manager can preview it and turn it off; members opt out with a
signed link that needs no login."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..errors import N_, NotFound
from ..events.models import Event, EventOccurrence, EventStatus, Registration
from ..members.models import Member, MemberSkill, MemberStatus
from ..orm import utcnow
from .connector import concepts_of
from .engagement import get_settings
from .models import Candidate, DigestOptOut, Need, NeedAnswer, QueueItem, Referral

logger = logging.getLogger(__name__)

OPT_OUT_SALT = "coworknet.digest.optout"
MAX_ITEMS = 5


EVENT_HORIZON = timedelta(days=21)


@dataclass(frozen=True)
class DigestEvent:
    event_id: int
    title: str
    starts_at: datetime


def _matching_events(session: Session, member: Member, now: datetime) -> list[DigestEvent]:
    """Published sessions of the next three weeks whose subject names one of my skills (the
    interests a member declares), that I am not registered to yet."""
    interests = {s.concept_id for s in member.skills if s.concept_id}
    if not interests:
        return []
    registered = select(Registration.occurrence_id).where(
        Registration.member_id == member.id, Registration.status.in_(("confirmed", "waitlisted", "offered")))
    rows = session.execute(
        select(Event, EventOccurrence).join(EventOccurrence, EventOccurrence.event_id == Event.id)
        .where(Event.status == EventStatus.PUBLISHED, EventOccurrence.is_cancelled.is_(False),
               EventOccurrence.start_at >= now, EventOccurrence.start_at < now + EVENT_HORIZON,
               EventOccurrence.id.not_in(registered))
        .order_by(EventOccurrence.start_at).limit(50)
    ).all()
    found = []
    for event, occurrence in rows:
        if interests & set(concepts_of(f"{event.title} {event.description}")):
            found.append(DigestEvent(event.id, event.title, occurrence.start_at))
    return found[:MAX_ITEMS]


@dataclass
class Digest:
    member: Member
    needs: list[Need] = field(default_factory=list)
    events: list[DigestEvent] = field(default_factory=list)
    people: list[Member] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.needs or self.events or self.people)


def _matching_needs(session: Session, member: Member) -> list[Need]:
    concepts = {s.concept_id for s in member.skills if s.concept_id}
    if not concepts:
        return []
    answered = select(NeedAnswer.need_id).where(NeedAnswer.member_id == member.id)
    needs = session.scalars(
        select(Need).where(Need.status == "open", Need.author_id != member.id, Need.id.not_in(answered))
        .order_by(Need.created_at.desc(), Need.id.desc()).limit(100)
    )
    return [n for n in needs if concepts & set(n.concept_ids)][:MAX_ITEMS]


def _met(session: Session, member: Member) -> set[int]:
    """Members this one already dealt with through the connector."""
    met: set[int] = set()
    for a, b in session.execute(
        select(Referral.referrer_id, Referral.referee_id).where(
            or_(Referral.referrer_id == member.id, Referral.referee_id == member.id))
    ):
        met |= {a, b}
    # answers to my needs, and authors of needs I answered
    met |= set(session.scalars(select(NeedAnswer.member_id).join(Need).where(Need.author_id == member.id)))
    met |= set(session.scalars(select(Need.author_id).join(NeedAnswer).where(NeedAnswer.member_id == member.id)))
    met |= set(session.scalars(select(Candidate.member_id).join(QueueItem).where(
        QueueItem.requester_id == member.id, Candidate.consent == "accepted")))
    met |= set(session.scalars(select(QueueItem.requester_id).join(Candidate).where(
        Candidate.member_id == member.id, Candidate.consent == "accepted")))
    return met


def _people_not_met(session: Session, member: Member, limit: int = 3) -> list[Member]:
    """Active members I have not dealt with yet: those sharing a skill first, then newcomers."""
    excluded = _met(session, member) | {member.id}
    mine = {s.concept_id for s in member.skills if s.concept_id}
    shared = set(session.scalars(select(MemberSkill.member_id).where(MemberSkill.concept_id.in_(mine)))) if mine else set()
    candidates = session.scalars(
        select(Member).where(Member.status == MemberStatus.ACTIVE, Member.id.not_in(excluded))
        .order_by(Member.created_at.desc(), Member.id.desc()).limit(200)
    )
    return sorted(candidates, key=lambda m: (m.id not in shared,))[:limit]


def build_digest(session: Session, member: Member, now: datetime | None = None) -> Digest:
    """The personal suggestions of ``member`` for this week."""
    now = now or utcnow()
    return Digest(member, _matching_needs(session, member), _matching_events(session, member, now),
                  _people_not_met(session, member))


def opt_out_token(secret: str, member: Member) -> str:
    return URLSafeSerializer(secret, salt=OPT_OUT_SALT).dumps(member.id)


def member_for_opt_out(session: Session, secret: str, token: str) -> Member:
    try:
        member_id = URLSafeSerializer(secret, salt=OPT_OUT_SALT).loads(token)
    except BadSignature:
        raise NotFound(N_("This link is not valid.")) from None
    member = session.get(Member, member_id) if isinstance(member_id, int) else None
    if member is None:
        raise NotFound(N_("This link is not valid."))
    return member


def is_opted_out(session: Session, member: Member) -> bool:
    return session.get(DigestOptOut, member.id) is not None


def opt_out(session: Session, member: Member) -> None:
    """Stop the digest for ``member`` (idempotent)."""
    if not is_opted_out(session, member):
        session.add(DigestOptOut(member_id=member.id))
        session.flush()


def opt_in(session: Session, member: Member) -> None:
    """Receive the digest again."""
    row = session.get(DigestOptOut, member.id)
    if row is not None:
        session.delete(row)
        session.flush()


def set_enabled(session: Session, enabled: bool) -> None:
    """The manager turns the weekly digest on or off for the whole space."""
    get_settings(session).digest_enabled = enabled
    session.flush()


def recipients(session: Session) -> list[Member]:
    opted_out = select(DigestOptOut.member_id)
    return list(session.scalars(
        select(Member).where(Member.status == MemberStatus.ACTIVE, Member.id.not_in(opted_out)).order_by(Member.id)
    ))
