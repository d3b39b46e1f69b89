"""The host's front desk: verify a visitor's pass offline with the issuer's pinned key, then
record the visit and tell the issuer (a signed ``pass.visit`` in the outbox)."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session

from federation import passes as token
from federation.errors import FederationError
from federation.keys import VerifyKey
from schemas.federation import PASS_VISIT

from ..federation import inbox
from ..federation.keyring import peer_keys, runtime_of
from ..federation.models import APPROVED, Peer
from ..members.models import Member
from .agreements import Terms
from .models import AgreementStatus, PassAgreement, PassRevocation, PassVisit, VisitDirection
from .visits import check_in_visitor, month_bounds


@dataclass(frozen=True)
class Admitted:
    visit: PassVisit
    issuer: Peer
    pass_: token.Pass
    already: bool  # the same pass was already recorded today


#: Built once: the desk runs these three statements for every pass it checks (compiled
#: statements are cached by SQLAlchemy; building them per call cost more than running them).
_ACTIVE_TERMS = select(PassAgreement.peer_node_id, PassAgreement.terms).where(
    PassAgreement.status == AgreementStatus.ACTIVE).order_by(PassAgreement.id)
_APPROVED_PEERS = select(Peer).where(Peer.status == APPROVED)
_REVOKED = select(PassRevocation.id).where(
    PassRevocation.issuer == bindparam("issuer"),
    or_(PassRevocation.subject == bindparam("subject"),
        PassRevocation.pass_ids.contains(bindparam("pass_id")))).limit(1)


def issuer_keys(session: Session, day: date) -> dict[bytes, tuple[Peer, list[VerifyKey], Terms]]:
    """Fingerprint → (peer, its pinned keys, the terms in force) for every approved peer with an
    agreement in force on ``day``: the only signers whose passes this desk accepts (held
    locally: no network call). Two queries, whatever the number of peers."""
    terms_by_peer: dict[str, Terms] = {}
    for peer_node_id, raw in session.execute(_ACTIVE_TERMS):
        terms = Terms.from_dict(json.loads(raw))
        if terms.covers(day):
            terms_by_peer[peer_node_id] = terms
    found: dict[bytes, tuple[Peer, list[VerifyKey], Terms]] = {}
    if not terms_by_peer:
        return found
    for peer in session.scalars(_APPROVED_PEERS):
        if peer.node_id not in terms_by_peer:
            continue
        keys = []
        for record in peer_keys(peer).values():
            if record.revoked_at is None:
                with contextlib.suppress(FederationError):  # a malformed record verifies nothing
                    keys.append(record.verify_key())
        found[token.fingerprint(peer.node_id)] = (peer, keys, terms_by_peer[peer.node_id])
    return found


def visits_in_month(session: Session, peer_node_id: str, day: date,
                    direction: str | None = None) -> int:
    start, end = month_bounds(day)
    query = select(func.count()).select_from(PassVisit).where(
        PassVisit.peer_node_id == peer_node_id, PassVisit.day >= start, PassVisit.day < end)
    if direction is not None:
        query = query.where(PassVisit.direction == direction)
    return int(session.scalar(query) or 0)


def quota_left(session: Session, terms: Terms, issuer: str, day: date) -> int:
    """Days left this month for the members of ``issuer`` at our space."""
    allowed = terms.days_for_members_of(issuer)
    if allowed is None:  # one pool for both ways
        return (terms.pool_days or 0) - visits_in_month(session, issuer, day)
    return allowed - visits_in_month(session, issuer, day, VisitDirection.HOSTED)


def _revoked(session: Session, issuer: str, item: token.Pass) -> bool:
    """Revoked by the member's pseudonym for us, or by the pass's id (one query)."""
    return session.execute(_REVOKED, {"issuer": issuer, "subject": item.subject,
                                      "pass_id": item.pass_id}).first() is not None


def check(session: Session, code: str, now: datetime, tz: tzinfo) -> tuple[token.Pass, Peer, Terms]:
    """Verify a pass for this host at ``now``; raises :class:`federation.passes.PassRefused`
    (``malformed``, ``not_peer``, ``bad_signature``, ``other_host``, ``not_yet_valid``,
    ``expired``, ``revoked``, ``over_quota``). Reads only this node's database."""
    day = now.astimezone(tz).date()
    known = issuer_keys(session, day)
    item = token.verify(code, host=runtime_of(session).node_id,
                        keys_of=lambda fp: known.get(fp, (None, None))[1],
                        now=int(now.timestamp()))
    peer, _keys, terms = known[item.issuer]
    if _revoked(session, peer.node_id, item):
        raise token.PassRefused("revoked")
    return item, peer, terms


def admit(session: Session, code: str, now: datetime, tz: tzinfo, *,
          recorded_by: Member | None) -> Admitted:
    """Verify and, when good, check the visitor in for today (once per pseudonym and day: the
    visit is their check-in) and queue the signed visit record for the issuer."""
    item, peer, terms = check(session, code, now, tz)
    day = now.astimezone(tz).date()
    existing = session.scalar(select(PassVisit).where(
        PassVisit.direction == VisitDirection.HOSTED, PassVisit.peer_node_id == peer.node_id,
        PassVisit.subject == item.subject, PassVisit.day == day))
    if existing is not None:
        return Admitted(existing, peer, item, True)
    if quota_left(session, terms, peer.node_id, day) <= 0:
        raise token.PassRefused("over_quota")
    visit = check_in_visitor(session, peer.node_id, item, now, tz, recorded_by=recorded_by)
    runtime = runtime_of(session)
    inbox.send_inbox_message(session, peer, PASS_VISIT, {
        "visit_id": visit.visit_id, "pass_id": item.pass_id, "subject": item.subject,
        "day": day.isoformat(), "space": runtime.name or runtime.node_id,
    }, message_id=visit.visit_id, deliver_now=True)
    return Admitted(visit, peer, item, False)
