"""Referral and business ledger: X recommends Y; Y acknowledges; a deal's value (integer euro
cents) counts in the totals only once the other party confirmed it.

The two parties of the deal are the referee and, for a need, the need's author, otherwise the
referrer (who brought the client)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from ..errors import N_, Conflict, Forbidden, NotFound, ValidationError
from ..members.models import Member, MemberStatus
from ..orm import utcnow
from .models import Candidate, Need, NetworkAnswer, PeerStats, Referral

logger = logging.getLogger(__name__)


def create_referral(session: Session, referrer: Member, referee: Member, *, need: Need | None = None,
                    client: str = "", note: str = "") -> Referral:
    """Record that ``referrer`` recommends ``referee`` for a need or to a client."""
    if referee.id == referrer.id:
        raise ValidationError(N_("You cannot recommend yourself."), fields={"referee_id": ["self"]})
    if not referee.is_active:
        raise ValidationError(N_("This member is not active."), fields={"referee_id": ["inactive"]})
    if need is None and not client:
        raise ValidationError(N_("Say for which need or to which client."), fields={"client": ["required"]})
    if need is not None and need.author_id == referee.id:
        raise ValidationError(N_("The author of the need cannot be recommended for it."),
                              fields={"referee_id": ["author"]})
    referral = Referral(referrer=referrer, referee=referee, need=need, client=client, note=note)
    session.add(referral)
    session.flush()
    return referral


def active_members(session: Session) -> list[Member]:
    return list(session.scalars(select(Member).where(Member.status == MemberStatus.ACTIVE)
                                .order_by(Member.display_name)))


def create_network_referral(session: Session, referrer: Member, answer: NetworkAnswer) -> Referral:
    """Record the introduction of a member of another space (who consented) as a referral.

    It is acknowledged from the start: the member accepted the introduction."""
    existing = session.scalar(select(Referral).where(Referral.network_answer_id == answer.id))
    if existing is not None:
        raise Conflict(N_("This introduction is already recorded as a referral."))
    item = answer.item
    referral = Referral(referrer=referrer, network_answer=answer, need=item.need,
                        client="" if item.need else item.text[:200], status="acknowledged",
                        acknowledged_at=utcnow())
    session.add(referral)
    session.flush()
    return referral


def get_network_answer(session: Session, answer_id: int) -> NetworkAnswer:
    answer = session.get(NetworkAnswer, answer_id)
    if answer is None:
        raise NotFound(N_("No such answer."))
    return answer


def get_referral(session: Session, referral_id: int) -> Referral:
    referral = session.get(Referral, referral_id)
    if referral is None:
        raise NotFound(N_("No such referral."))
    return referral


def deal_parties(referral: Referral) -> tuple[int | None, int]:
    """The two members between whom the deal is done (``None``: a member of another space)."""
    if referral.network_answer is not None:
        item = referral.network_answer.item
        local = item.need.author_id if item.need is not None else (item.requester_id or referral.referrer_id)
        return None, local
    other = referral.need.author_id if referral.need is not None else referral.referrer_id
    return referral.referee_id, other


def involved(referral: Referral, member: Member) -> bool:
    return member.id in {referral.referrer_id, referral.referee_id, *deal_parties(referral)}


def acknowledge(session: Session, referral: Referral, member: Member) -> Referral:
    """The recommended member acknowledges the referral."""
    if member.id != referral.referee_id:
        raise Forbidden(N_("Only the recommended member can acknowledge."))
    if referral.status == "acknowledged":
        raise Conflict(N_("Already acknowledged."))
    referral.status, referral.acknowledged_at = "acknowledged", utcnow()
    session.flush()
    return referral


def declare_value(session: Session, referral: Referral, member: Member, cents: int) -> Referral:
    """One party declares the deal's value; it waits for the other's confirmation."""
    if not isinstance(cents, int) or isinstance(cents, bool) or cents <= 0:
        raise ValidationError(N_("The amount must be positive."), fields={"amount": ["positive"]})
    if member.id not in deal_parties(referral):
        raise Forbidden(N_("Only the parties of the deal can declare its value."))
    if referral.status != "acknowledged":
        raise Conflict(N_("The recommended member must acknowledge first."))
    if referral.value_confirmed_at is not None:
        raise Conflict(N_("The value is already confirmed."))
    referral.value_cents = cents
    referral.value_declared_by_id = member.id
    referral.value_declared_at = utcnow()
    session.flush()
    return referral


def confirm_value(session: Session, referral: Referral, member: Member) -> Referral:
    """The other party confirms the declared value: from now on it counts."""
    if referral.value_cents is None:
        raise Conflict(N_("No value has been declared."))
    if referral.value_confirmed_at is not None:
        raise Conflict(N_("The value is already confirmed."))
    if referral.network_answer is not None:
        raise Forbidden(N_("The member of the other space confirms this value through their space."))
    if member.id not in deal_parties(referral) or member.id == referral.value_declared_by_id:
        raise Forbidden(N_("Only the other party of the deal can confirm its value."))
    referral.value_confirmed_at = utcnow()
    session.flush()
    logger.info("referral %s value confirmed", referral.id)
    return referral


def deal_content(referral: Referral, deal_id: str) -> dict:
    """The ``connector.deal`` content declaring this network referral's value."""
    return {"response_id": referral.network_answer.response_id, "deal_id": deal_id,
            "amount_cents": referral.value_cents, "status": "declared"}


def confirm_network_value(session: Session, peer_node_id: str, content: dict,
                          deal_id_of: Callable[[Referral], str]) -> Referral | None:
    """The other space's member confirmed the declared value (idempotent; a changed amount or
    a peer that is not the answering one changes nothing)."""
    for referral in session.scalars(select(Referral).where(Referral.network_answer_id.is_not(None))):
        if deal_id_of(referral) != content["deal_id"]:
            continue
        answer = referral.network_answer
        if (answer.peer != peer_node_id or answer.response_id != content["response_id"]
                or referral.value_cents != content["amount_cents"]):
            return None
        if referral.value_confirmed_at is None:
            referral.value_confirmed_at = utcnow()
            session.flush()
            logger.info("referral %s value confirmed by the network", referral.id)
        return referral
    return None


#: What a list of referrals shows of each (loaded for the whole list at once).
_SHOWN = (selectinload(Referral.referrer), selectinload(Referral.referee), selectinload(Referral.need),
          selectinload(Referral.network_answer))


def referrals_of(session: Session, member: Member) -> list[Referral]:
    return list(session.scalars(
        select(Referral).options(*_SHOWN).outerjoin(Need, Need.id == Referral.need_id).where(or_(
            Referral.referrer_id == member.id, Referral.referee_id == member.id,
            Need.author_id == member.id,
        )).order_by(Referral.created_at.desc(), Referral.id.desc())
    ))


def all_referrals(session: Session) -> list[Referral]:
    return list(session.scalars(select(Referral).options(*_SHOWN).order_by(Referral.created_at.desc(), Referral.id.desc())))


@dataclass(frozen=True)
class Totals:
    year: int
    referrals: int
    deals_confirmed: int
    business_cents: int
    #: Deals our members made with members of other spaces who escalated a request to us
    #: (counted in the requesting space's business, shown here too, never added twice).
    network_in_deals: int = 0
    network_in_cents: int = 0


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    return datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)


def space_totals(session: Session, year: int | None = None) -> Totals:
    """Referrals made and business confirmed between coworkers in ``year`` (confirmed only)."""
    year = year or utcnow().year
    start, end = _year_bounds(year)
    referrals = session.scalar(select(func.count()).select_from(Referral).where(
        Referral.created_at >= start, Referral.created_at < end)) or 0
    deals, cents = session.execute(
        select(func.count(), func.coalesce(func.sum(Referral.value_cents), 0)).where(
            Referral.value_confirmed_at.is_not(None),
            Referral.value_confirmed_at >= start, Referral.value_confirmed_at < end)
    ).one()
    in_deals, in_cents = session.execute(
        select(func.count(), func.coalesce(func.sum(Candidate.deal_cents), 0)).where(
            Candidate.deal_confirmed_at.is_not(None),
            Candidate.deal_confirmed_at >= start, Candidate.deal_confirmed_at < end)
    ).one()
    return Totals(year, int(referrals), int(deals), int(cents), int(in_deals), int(in_cents))


@dataclass(frozen=True)
class NetworkTotals:
    year: int
    nodes: int
    deals_confirmed: int
    business_cents: int


def network_totals(session: Session, own: Totals, peers: list[str] | None = None) -> NetworkTotals:
    """Our totals plus the latest signed aggregates each peer published for the same year."""
    nodes, deals, cents = 1, own.deals_confirmed, own.business_cents
    statement = select(PeerStats)
    if peers is not None:
        statement = statement.where(PeerStats.peer.in_(peers))
    for stats in session.scalars(statement):
        content = stats.content
        if "business_cents" not in content or not str(content.get("period_end", "")).startswith(str(own.year)):
            continue
        nodes += 1
        deals += int(content.get("deals_confirmed", 0))
        cents += int(content["business_cents"])
    return NetworkTotals(own.year, nodes, deals, cents)


def store_peer_stats(session: Session, peer_node_id: str, content: dict) -> PeerStats:
    """Keep the latest aggregates a peer published (replays overwrite with the same data)."""
    stats = session.get(PeerStats, peer_node_id)
    if stats is None:
        stats = PeerStats(peer=peer_node_id, content=content)
        session.add(stats)
    else:
        stats.content, stats.received_at = content, utcnow()
    session.flush()
    return stats


def drop_peer_stats(session: Session, peer_node_id: str) -> None:
    stats = session.get(PeerStats, peer_node_id)
    if stats is not None:
        session.delete(stats)
        session.flush()


def period_of_year(year: int, today: date) -> tuple[date, date]:
    return date(year, 1, 1), min(today, date(year, 12, 31))
