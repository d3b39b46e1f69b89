"""Visiting agreements between two spaces (``pass.agreement`` messages, PROTOCOL §11.1).

The offerer owns the agreement (its id is the offerer's object id) and writes its terms once;
the answerer accepts or declines; either side ends it. Both hold the same terms."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from federation.canonical import canonical_dumps
from federation.errors import BadRequest as FederationBadRequest
from federation.messages import build_inbox_message, make_object_id, object_owner
from schemas.federation import PASS_AGREEMENT

from ..errors import N_, Conflict, NotFound, ValidationError
from ..federation import inbox
from ..federation.keyring import runtime_of
from ..federation.models import Peer
from ..federation.peers import approved_peers
from ..orm import utcnow
from .models import AgreementStatus, PassAgreement


@dataclass(frozen=True)
class Terms:
    offerer: str
    answerer: str
    offerer_members_days: int | None
    answerer_members_days: int | None
    pool_days: int | None
    valid_from: date
    valid_until: date | None

    def to_dict(self) -> dict:
        return {"offerer": self.offerer, "answerer": self.answerer,
                "offerer_members_days": self.offerer_members_days,
                "answerer_members_days": self.answerer_members_days,
                "pool_days": self.pool_days, "valid_from": self.valid_from.isoformat(),
                "valid_until": self.valid_until.isoformat() if self.valid_until else None}

    @classmethod
    def from_dict(cls, data: dict) -> Terms:
        return cls(data["offerer"], data["answerer"], data["offerer_members_days"],
                   data["answerer_members_days"], data["pool_days"],
                   date.fromisoformat(data["valid_from"]),
                   date.fromisoformat(data["valid_until"]) if data["valid_until"] else None)

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)

    def days_for_members_of(self, issuer: str) -> int | None:
        """Days a month the members of ``issuer`` may spend at the other space (None: pool)."""
        if self.pool_days is not None:
            return None
        return self.offerer_members_days if issuer == self.offerer else self.answerer_members_days


def terms_of(agreement: PassAgreement) -> Terms:
    return Terms.from_dict(json.loads(agreement.terms))


def check_terms(terms: Terms) -> None:
    """Days each way, or one shared pool; a period that does not end before it starts."""
    each_way = terms.offerer_members_days is not None or terms.answerer_members_days is not None
    if terms.pool_days is None and not each_way:
        raise ValidationError(N_("Give days each way or a shared pool of days."),
                              fields={"pool_days": ["required"]})
    if terms.pool_days is not None and each_way:
        raise ValidationError(N_("Give days each way or a shared pool of days, not both."),
                              fields={"pool_days": ["one_of"]})
    if each_way and (terms.offerer_members_days is None or terms.answerer_members_days is None):
        raise ValidationError(N_("Give the days for both ways."),
                              fields={"answerer_members_days": ["required"]})
    if terms.valid_until is not None and terms.valid_until < terms.valid_from:
        raise ValidationError(N_("The agreement cannot end before it starts."),
                              fields={"valid_until": ["before_start"]})


def list_agreements(session: Session) -> list[PassAgreement]:
    return list(session.scalars(select(PassAgreement).order_by(PassAgreement.created_at.desc(),
                                                               PassAgreement.id.desc())))


def get_agreement(session: Session, agreement_pk: int) -> PassAgreement:
    agreement = session.get(PassAgreement, agreement_pk)
    if agreement is None:
        raise NotFound(N_("No such agreement."))
    return agreement


def active_agreement(session: Session, peer_node_id: str, day: date) -> PassAgreement | None:
    """The agreement in force with ``peer_node_id`` on ``day`` (at most one is active)."""
    for agreement in session.scalars(select(PassAgreement).where(
            PassAgreement.peer_node_id == peer_node_id,
            PassAgreement.status == AgreementStatus.ACTIVE).order_by(PassAgreement.id.desc())):
        if terms_of(agreement).covers(day):
            return agreement
    return None


def agreement_peers(session: Session, day: date) -> list[str]:
    """Peers (approved, not suspended) with an agreement in force on ``day``."""
    return [peer.node_id for peer in approved_peers(session)
            if active_agreement(session, peer.node_id, day) is not None]


def _send(session: Session, agreement: PassAgreement, action: str, terms: dict) -> dict:
    runtime = runtime_of(session)
    content = {"agreement_id": agreement.agreement_id, "action": action, "terms": terms}
    local = agreement.agreement_id.split("/", 3)[-1]
    message_id = make_object_id(runtime.node_id, f"{local}/{action}/{secrets.token_hex(4)}")
    message = build_inbox_message(message_type=PASS_AGREEMENT, origin=runtime.node_id,
                                  destination=agreement.peer_node_id, content=content,
                                  key=runtime.signing_key(), message_id=message_id)
    inbox.send_inbox_message(session, agreement.peer_node_id, PASS_AGREEMENT, content,
                             message_id=message_id, deliver_now=True)
    return message


def offer(session: Session, peer: Peer, *, offerer_members_days: int | None,
          answerer_members_days: int | None, pool_days: int | None, valid_from: date,
          valid_until: date | None) -> PassAgreement:
    """Offer ``peer`` a visiting agreement; it waits for the other manager's answer."""
    if not peer.is_approved:
        raise Conflict(N_("Agreements are made with approved peers only."))
    me = runtime_of(session).node_id
    terms = Terms(me, peer.node_id, offerer_members_days, answerer_members_days, pool_days,
                  valid_from, valid_until)
    check_terms(terms)
    agreement = PassAgreement(
        agreement_id=make_object_id(me, f"pass/agreement/{secrets.token_hex(8)}"),
        peer_node_id=peer.node_id, offered_by_us=True, status=AgreementStatus.OFFERED,
        terms=canonical_dumps(terms.to_dict()).decode("utf-8"), offer_json="")
    session.add(agreement)
    session.flush()
    agreement.offer_json = json.dumps(_send(session, agreement, "offer", terms.to_dict()),
                                      sort_keys=True)
    session.flush()
    return agreement


def answer(session: Session, agreement: PassAgreement, accept: bool) -> PassAgreement:
    """Accept or decline an agreement another space offered us."""
    if agreement.offered_by_us or agreement.status != AgreementStatus.OFFERED:
        raise Conflict(N_("This agreement is not waiting for your answer."))
    agreement.status = AgreementStatus.ACTIVE if accept else AgreementStatus.DECLINED
    agreement.updated_at = utcnow()
    _send(session, agreement, "accept" if accept else "decline", json.loads(agreement.terms))
    session.flush()
    return agreement


def end(session: Session, agreement: PassAgreement) -> PassAgreement:
    """End an agreement (either side); passes stop being accepted under it at once."""
    if agreement.status not in (AgreementStatus.OFFERED, AgreementStatus.ACTIVE):
        raise Conflict(N_("This agreement is already closed."))
    agreement.status = AgreementStatus.ENDED
    agreement.updated_at = utcnow()
    _send(session, agreement, "end", json.loads(agreement.terms))
    session.flush()
    return agreement


def receive(session: Session, peer: Peer, message: dict) -> None:
    """A ``pass.agreement`` from ``peer``: refused (nothing stored) unless it fits the object's
    one writer and the terms we hold."""
    me = runtime_of(session).node_id
    content = message["content"]
    terms = Terms.from_dict(content["terms"])
    action = content["action"]
    owner = object_owner(content["agreement_id"])
    existing = session.scalar(select(PassAgreement).where(
        PassAgreement.agreement_id == content["agreement_id"]))
    if action == "offer":
        if owner != peer.node_id or terms.offerer != peer.node_id or terms.answerer != me:
            raise FederationBadRequest("an offer is owned by its sender and addressed to us")
        try:
            check_terms(terms)
        except ValidationError as exc:
            raise FederationBadRequest("inconsistent terms") from exc
        if existing is not None:
            return  # the same offer again
        session.add(PassAgreement(
            agreement_id=content["agreement_id"], peer_node_id=peer.node_id, offered_by_us=False,
            status=AgreementStatus.OFFERED,
            terms=canonical_dumps(terms.to_dict()).decode("utf-8"),
            offer_json=json.dumps(message, sort_keys=True)))
        session.flush()
        return
    if existing is None or existing.peer_node_id != peer.node_id:
        raise FederationBadRequest("no such agreement with this peer")
    if canonical_dumps(terms.to_dict()) != existing.terms.encode("utf-8"):
        raise FederationBadRequest("the terms differ from the agreement's")
    if action in ("accept", "decline"):
        if owner != me or not existing.offered_by_us:
            raise FederationBadRequest("only the space offered an agreement answers it")
        if existing.status == AgreementStatus.OFFERED:
            existing.status = (AgreementStatus.ACTIVE if action == "accept"
                               else AgreementStatus.DECLINED)
    elif existing.status in (AgreementStatus.OFFERED, AgreementStatus.ACTIVE):  # end
        existing.status = AgreementStatus.ENDED
    existing.updated_at = utcnow()
    session.flush()
