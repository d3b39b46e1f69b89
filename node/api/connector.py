"""JSON API of the community connector: needs, introductions asked of the manager, referrals
and deals, barter, the manager's queue and the engagement figures."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, g

from schemas.connector import (
    BarterCreateSchema,
    BarterOutSchema,
    CandidateOutSchema,
    CandidateProposeSchema,
    ConsentSchema,
    DealDeclareSchema,
    EngagementOutSchema,
    EscalateSchema,
    EscalationOutSchema,
    IntroductionAskSchema,
    MonthQuerySchema,
    NeedAnswerOutSchema,
    NeedAnswerSchema,
    NeedCloseSchema,
    NeedCreateSchema,
    NeedListQuerySchema,
    NeedOutSchema,
    QueueItemOutSchema,
    QueueQuerySchema,
    QueueStateSchema,
    ReferralCreateSchema,
    ReferralOutSchema,
    TotalsOutSchema,
)

from ..accounts import accounts
from ..connector import barter, connector, engagement, ledger, needs
from ..connector import network as connector_network
from ..db import db
from ..http import context
from ..http.queries import euros
from ..http.security import MANAGER
from .base import endpoint

bp = Blueprint("api_connector", __name__, url_prefix="/api/v1")
TAGS = ("connector",)


@endpoint(bp, "/needs", summary="Open (or closed) needs of the space", query=NeedListQuerySchema,
          response=NeedOutSchema(many=True), tags=TAGS)
def list_needs(data: dict):
    return NeedOutSchema(many=True).dump(needs.list_needs(db.session, status=data["status"]))


@endpoint(bp, "/needs", methods=("POST",), summary="Post a need", body=NeedCreateSchema,
          response=NeedOutSchema, status=201, tags=TAGS)
def create_need(data: dict):
    need = needs.create_need(db.session, g.api_member, **data)
    db.session.commit()
    return NeedOutSchema().dump(need)


@endpoint(bp, "/needs/<int:need_id>", summary="A need, its answers", response=NeedOutSchema, tags=TAGS)
def get_need(need_id: int):
    return NeedOutSchema().dump(needs.get_need(db.session, need_id))


@endpoint(bp, "/needs/<int:need_id>/answers", methods=("POST",), summary="Answer a need",
          body=NeedAnswerSchema, response=NeedAnswerOutSchema, status=201, tags=TAGS)
def answer_need(need_id: int, data: dict):
    answer = needs.answer_need(db.session, needs.get_need(db.session, need_id), g.api_member, data["message"])
    db.session.commit()
    return NeedAnswerOutSchema().dump(answer)


@endpoint(bp, "/needs/<int:need_id>/close", methods=("POST",), summary="Close my need with an outcome",
          body=NeedCloseSchema, response=NeedOutSchema, tags=TAGS)
def close_need(need_id: int, data: dict):
    need = needs.close_need(db.session, needs.get_need(db.session, need_id), g.api_member, data["outcome"])
    db.session.commit()
    return NeedOutSchema().dump(need)


@endpoint(bp, "/connector/introductions", methods=("POST",), summary="Ask the manager for an introduction",
          body=IntroductionAskSchema, response=QueueItemOutSchema, status=201, tags=TAGS)
def ask_introduction(data: dict):
    item = connector.ask_introduction(db.session, g.api_member, data["text"])
    db.session.commit()
    return QueueItemOutSchema().dump(item)


# --- referrals -----------------------------------------------------------------------------------


@endpoint(bp, "/referrals", summary="Referrals I made, received or that concern my needs",
          response=ReferralOutSchema(many=True), tags=TAGS)
def list_referrals():
    return ReferralOutSchema(many=True).dump(ledger.referrals_of(db.session, g.api_member))


@endpoint(bp, "/referrals", methods=("POST",), summary="Recommend a member for a need or to a client",
          body=ReferralCreateSchema, response=ReferralOutSchema, status=201, tags=TAGS)
def create_referral(data: dict):
    referral = ledger.create_referral(
        db.session, g.api_member, accounts.get_member(db.session, data["referee_id"]),
        need=needs.get_need(db.session, data["need_id"]) if data["need_id"] else None,
        client=data["client"], note=data["note"],
    )
    db.session.commit()
    return ReferralOutSchema().dump(referral)


@endpoint(bp, "/referrals/<int:referral_id>/acknowledge", methods=("POST",),
          summary="Acknowledge a recommendation of me", response=ReferralOutSchema, tags=TAGS)
def acknowledge(referral_id: int):
    referral = ledger.acknowledge(db.session, ledger.get_referral(db.session, referral_id), g.api_member)
    db.session.commit()
    return ReferralOutSchema().dump(referral)


@endpoint(bp, "/referrals/<int:referral_id>/value", methods=("POST",),
          summary="Declare the value of the deal (text amount in euros)", body=DealDeclareSchema,
          response=ReferralOutSchema, tags=TAGS)
def declare_value(referral_id: int, data: dict):
    referral = ledger.declare_value(db.session, ledger.get_referral(db.session, referral_id), g.api_member,
                                    data["amount"])
    if referral.network_answer is not None:
        connector_network.send_deal_declaration(db.session, referral)
    db.session.commit()
    return ReferralOutSchema().dump(referral)


@endpoint(bp, "/referrals/<int:referral_id>/confirm", methods=("POST",),
          summary="Confirm the value the other party declared", response=ReferralOutSchema, tags=TAGS)
def confirm_value(referral_id: int):
    referral = ledger.confirm_value(db.session, ledger.get_referral(db.session, referral_id), g.api_member)
    db.session.commit()
    return ReferralOutSchema().dump(referral)


@endpoint(bp, "/referrals/totals", summary="Business generated between coworkers this year, here and in the network",
          response=TotalsOutSchema, tags=TAGS)
def totals():
    own = ledger.space_totals(db.session)
    network = ledger.network_totals(db.session, own)
    return TotalsOutSchema().dump({
        "year": own.year, "referrals": own.referrals, "deals_confirmed": own.deals_confirmed,
        "business_cents": own.business_cents, "business": euros(own.business_cents),
        "network_in_cents": own.network_in_cents, "network_in_deals": own.network_in_deals,
        "network_business_cents": network.business_cents,
        "network_deals_confirmed": network.deals_confirmed, "network_nodes": network.nodes,
    })


@endpoint(bp, "/me/barter", summary="My barter history and balance", response=BarterOutSchema, tags=TAGS)
def my_barter():
    entries = barter.history(db.session, member=g.api_member)
    return BarterOutSchema().dump({"entries": entries, "balances": barter.balances(db.session, entries)})


@endpoint(bp, "/me/introductions", summary="Introductions proposed to me, waiting for my consent",
          response=CandidateOutSchema(many=True), tags=TAGS)
def my_consents():
    return CandidateOutSchema(many=True).dump(connector.pending_consents(db.session, g.api_member))


@endpoint(bp, "/me/introductions/<int:candidate_id>", methods=("POST",),
          summary="Accept or decline an introduction proposed to me (acceptance shares name and e-mail)",
          body=ConsentSchema, response=CandidateOutSchema, tags=TAGS)
def decide_consent(candidate_id: int, data: dict):
    result = connector.decide_consent(db.session, connector.get_candidate(db.session, candidate_id), g.api_member,
                                      data["decision"], data["message"])
    if result.response is not None:
        connector_network.send_response(db.session, result)
    db.session.commit()
    return CandidateOutSchema().dump(result.candidate)


@endpoint(bp, "/me/deals", summary="Deal values other spaces declared with me, to confirm",
          response=CandidateOutSchema(many=True), tags=TAGS)
def my_deals():
    return CandidateOutSchema(many=True).dump(connector.pending_deals(db.session, g.api_member))


@endpoint(bp, "/me/deals/<int:candidate_id>/confirm", methods=("POST",),
          summary="Confirm the value of a deal made after a network introduction",
          response=CandidateOutSchema, tags=TAGS)
def confirm_deal(candidate_id: int):
    candidate = connector.get_candidate(db.session, candidate_id)
    content = connector.confirm_deal(db.session, candidate, g.api_member, connector_network.node_id(db.session))
    connector_network.send_deal_confirmation(db.session, candidate, content)
    db.session.commit()
    return CandidateOutSchema().dump(candidate)


@endpoint(bp, "/admin/connector/answers/<int:answer_id>/referral", methods=("POST",), access=MANAGER,
          summary="Record a consenting member of another space as a referral", response=ReferralOutSchema,
          status=201, tags=TAGS)
def answer_referral(answer_id: int):
    referral = ledger.create_network_referral(db.session, g.api_member, ledger.get_network_answer(db.session, answer_id))
    db.session.commit()
    return ReferralOutSchema().dump(referral)


# --- manager --------------------------------------------------------------------------------------


@endpoint(bp, "/admin/connector/queue", access=MANAGER, summary="The connector queue",
          query=QueueQuerySchema, response=QueueItemOutSchema(many=True), tags=TAGS)
def queue(data: dict):
    return QueueItemOutSchema(many=True).dump(connector.list_queue(db.session, state=data["state"]))


@endpoint(bp, "/admin/connector/queue/<int:item_id>", methods=("PATCH",), access=MANAGER,
          summary="Move a queue item to another state", body=QueueStateSchema,
          response=QueueItemOutSchema, tags=TAGS)
def set_state(item_id: int, data: dict):
    item = connector.set_state(db.session, connector.get_item(db.session, item_id), data["state"], data["note"])
    db.session.commit()
    return QueueItemOutSchema().dump(item)


@endpoint(bp, "/admin/connector/queue/<int:item_id>/candidates", methods=("POST",), access=MANAGER,
          summary="Propose a member (who is asked for consent)", body=CandidateProposeSchema,
          response=CandidateOutSchema, status=201, tags=TAGS)
def propose(item_id: int, data: dict):
    candidate = connector.propose_candidate(db.session, connector.get_item(db.session, item_id),
                                            accounts.get_member(db.session, data["member_id"]))
    db.session.commit()
    return CandidateOutSchema().dump(candidate)


@endpoint(bp, "/admin/connector/queue/<int:item_id>/escalate", methods=("POST",), access=MANAGER,
          summary="Send an anonymised request to the approved peers", body=EscalateSchema,
          response=EscalationOutSchema, tags=TAGS)
def escalate(item_id: int, data: dict):
    item = connector.get_item(db.session, item_id)
    count = connector_network.escalate(db.session, item, data["message"], space_name=context.space().name)
    db.session.commit()
    return EscalationOutSchema().dump({"item": item, "peers": count})


@endpoint(bp, "/admin/connector/barter", access=MANAGER, summary="The barter ledger",
          response=BarterOutSchema, tags=TAGS)
def barter_ledger():
    entries = barter.history(db.session)
    return BarterOutSchema().dump({"entries": entries, "balances": barter.balances(db.session, entries)})


@endpoint(bp, "/admin/connector/barter", methods=("POST",), access=MANAGER, summary="Record a barter exchange",
          body=BarterCreateSchema, response=BarterOutSchema, status=201, tags=TAGS)
def record_barter(data: dict):
    member_id = data.pop("member_id")
    member = accounts.get_member(db.session, member_id) if member_id else None
    barter.record_entry(db.session, g.api_member, member=member, **data)
    db.session.commit()
    entries = barter.history(db.session)
    return BarterOutSchema().dump({"entries": entries, "balances": barter.balances(db.session, entries)})


@endpoint(bp, "/admin/connector/engagement", access=MANAGER, summary="Engagement scores, segments and trend",
          query=MonthQuerySchema, response=EngagementOutSchema, tags=TAGS)
def engagement_figures(data: dict):
    month = date.fromisoformat(data["month"] + "-01") if data["month"] else date.today().replace(day=1)
    board = engagement.dashboard(db.session, month)
    return EngagementOutSchema().dump({
        "month": f"{month:%Y-%m}", "segments": board.segments,
        "members": [{"member_id": r.member_id, "display_name": r.display_name, "score": r.score,
                     "segment": r.segment, **{k: r.counts.get(k, 0) for k in engagement.KINDS},
                     "is_regular": r.checkins >= board.regular_checkins} for r in board.rows],
        "trend": [{"month": f"{m:%Y-%m}", **counts} for m, counts in board.trend],
        "goal_members": board.goal_members, "goal_regulars": board.goal_regulars,
        "regular_checkins": board.regular_checkins, "active_members": board.active_members,
        "regulars": board.regulars,
    })
