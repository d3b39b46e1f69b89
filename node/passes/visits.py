"""Visits counted on both sides: the issuer records the hosts' signed visit records; each
manager sees days given and received per peer against the agreement, and can settle a
month's balance as a barter ledger entry."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from federation import passes as token
from federation.errors import BadRequest as FederationBadRequest
from federation.messages import make_object_id, object_owner

from ..errors import N_, Conflict, ValidationError
from ..federation.keyring import runtime_of
from ..federation.models import Peer
from ..members.models import Member
from .agreements import active_agreement, list_agreements, terms_of
from .models import AgreementStatus, IssuedPass, PassSettlement, PassVisit, VisitDirection


def month_bounds(day: date) -> tuple[date, date]:
    start = day.replace(day=1)
    end = (start.replace(year=start.year + 1, month=1) if start.month == 12
           else start.replace(month=start.month + 1))
    return start, end


def check_in_visitor(session: Session, issuer: str, item: token.Pass, now: datetime, tz: tzinfo,
                     *, recorded_by: Member | None) -> PassVisit:
    """A visitor from ``issuer`` checked in at our space today on a verified pass: their
    check-in is the hosted visit (a visitor has no member row here, so no ``CheckIn``); it
    keeps only what the member chose to show (their name, else the pseudonym for us)."""
    runtime = runtime_of(session)
    visit = PassVisit(visit_id=make_object_id(runtime.node_id, f"pass/visit/{secrets.token_hex(8)}"),
                      direction=VisitDirection.HOSTED, peer_node_id=issuer, pass_id=item.pass_id,
                      subject=item.subject, shown_name=(item.name or "")[:120],
                      day=now.astimezone(tz).date(), recorded_at=now,
                      recorded_by_id=recorded_by.id if recorded_by is not None else None)
    session.add(visit)
    session.flush()
    return visit


def visitors_here(session: Session, now: datetime, tz: tzinfo) -> list[PassVisit]:
    """Today's visitors from other spaces, in the order they arrived (the "who is here today"
    of the front desk, next to the local check-ins)."""
    return hosted_on(session, now.astimezone(tz).date())


def receive_visit(session: Session, peer: Peer, content: dict) -> None:
    """A host's ``pass.visit``: stored once per visit id, only for a pass we issued, for that
    host, used while valid, under an agreement; anything else is refused and nothing kept."""
    if object_owner(content["visit_id"]) != peer.node_id:
        raise FederationBadRequest("a visit record is owned by its host")
    if session.scalar(select(PassVisit.id).where(PassVisit.visit_id == content["visit_id"])):
        return  # the same record again: counted once
    issued = session.scalar(select(IssuedPass).where(IssuedPass.pass_id == content["pass_id"]))
    if issued is None or issued.subject != content["subject"]:
        raise FederationBadRequest("no such pass")
    if issued.host is not None and issued.host != peer.node_id:
        raise FederationBadRequest("this pass is for another host")
    day = date.fromisoformat(content["day"])
    if not (issued.issued_at.date() - timedelta(days=1) <= day
            <= issued.expires_at.date() + timedelta(days=1)):
        raise FederationBadRequest("the visit is outside the pass's validity")
    if active_agreement(session, peer.node_id, day) is None:
        raise FederationBadRequest("no agreement with this host on that day")
    session.add(PassVisit(visit_id=content["visit_id"], direction=VisitDirection.MADE,
                          peer_node_id=peer.node_id, pass_id=issued.pass_id,
                          subject=issued.subject, member_id=issued.member_id, day=day))
    session.flush()


def member_visits(session: Session, member: Member) -> list[PassVisit]:
    return list(session.scalars(select(PassVisit).where(
        PassVisit.member_id == member.id, PassVisit.direction == VisitDirection.MADE)
        .order_by(PassVisit.day.desc(), PassVisit.id.desc())))


def hosted_on(session: Session, day: date) -> list[PassVisit]:
    return list(session.scalars(select(PassVisit).where(
        PassVisit.direction == VisitDirection.HOSTED, PassVisit.day == day)
        .order_by(PassVisit.recorded_at)))


@dataclass(frozen=True)
class PeerBalance:
    peer_node_id: str
    month: str
    given: int  # days our space gave (their members here)
    received: int  # days our members used there
    allowed_given: int | None  # the agreement's days for their members (None: pool)
    allowed_received: int | None
    pool: int | None
    settled: bool

    @property
    def balance(self) -> int:
        """Days given minus days received: positive, the peer owes us."""
        return self.given - self.received


def _count(session: Session, peer: str, start: date, end: date, direction: str) -> int:
    return int(session.scalar(select(func.count()).select_from(PassVisit).where(
        PassVisit.peer_node_id == peer, PassVisit.direction == direction,
        PassVisit.day >= start, PassVisit.day < end)) or 0)


def balances(session: Session, month: date) -> list[PeerBalance]:
    """Per peer with an agreement (any status but declined) or a visit in ``month``."""
    start, end = month_bounds(month)
    peers = {a.peer_node_id for a in list_agreements(session) if a.status != AgreementStatus.DECLINED}
    peers |= set(session.scalars(select(PassVisit.peer_node_id).where(
        PassVisit.day >= start, PassVisit.day < end).distinct()))
    key = start.strftime("%Y-%m")
    result = []
    for peer in sorted(peers):
        agreement = active_agreement(session, peer, start) or active_agreement(session, peer, end - timedelta(days=1))
        terms = terms_of(agreement) if agreement is not None else None
        result.append(PeerBalance(
            peer, key, _count(session, peer, start, end, VisitDirection.HOSTED),
            _count(session, peer, start, end, VisitDirection.MADE),
            terms.days_for_members_of(peer) if terms else None,
            terms.days_for_members_of(terms.offerer if peer == terms.answerer else terms.answerer)
            if terms else None,
            terms.pool_days if terms else None,
            session.scalar(select(PassSettlement.id).where(
                PassSettlement.peer_node_id == peer, PassSettlement.month == key)) is not None))
    return result


def balance_to_settle(session: Session, peer_node_id: str, month: date) -> PeerBalance:
    """The month's balance with a peer, if it can go into the barter ledger (once, not even)."""
    found = [b for b in balances(session, month) if b.peer_node_id == peer_node_id]
    if not found:
        raise ValidationError(N_("No visits or agreement with this space."), fields={"peer": ["unknown"]})
    balance = found[0]
    if balance.settled:
        raise Conflict(N_("This month is already in the barter ledger."))
    if balance.balance == 0:
        raise Conflict(N_("The balance is even: nothing to record."))
    return balance


def last_day(balance: PeerBalance) -> date:
    return month_bounds(date.fromisoformat(balance.month + "-01"))[1] - timedelta(days=1)


def mark_settled(session: Session, balance: PeerBalance, barter_entry_id: int) -> PassSettlement:
    """Remember that the month's balance is in the barter ledger (entry ``barter_entry_id``)."""
    settlement = PassSettlement(peer_node_id=balance.peer_node_id, month=balance.month,
                                days=balance.balance, barter_entry_id=barter_entry_id)
    session.add(settlement)
    session.flush()
    return settlement


def totals(session: Session, since: date, *, month_only: bool = False) -> dict[str, int]:
    """Counts only: visits hosted and made since ``since`` (or in its month), for the
    engagement dashboard and the network totals."""
    query = select(PassVisit.direction, func.count()).where(PassVisit.day >= since)
    if month_only:
        query = query.where(PassVisit.day < month_bounds(since)[1])
    rows = session.execute(query.group_by(PassVisit.direction)).all()
    counted = dict(rows)
    return {"hosted": int(counted.get(VisitDirection.HOSTED, 0)),
            "made": int(counted.get(VisitDirection.MADE, 0))}
