"""JSON API of the network pass: the member's pass and visits; agreements, balances, the
front desk and settling a balance for the manager."""

from __future__ import annotations

import json
from datetime import date

from flask import Blueprint, g

from schemas.passes import (
    AgreementAnswerSchema,
    AgreementOfferSchema,
    AgreementOutSchema,
    BalanceOutSchema,
    DeskCheckSchema,
    DeskOutSchema,
    MonthQuerySchema,
    MyPassOutSchema,
    PassChoiceSchema,
    PassOutSchema,
    SettlementOutSchema,
    SettleSchema,
    VisitOutSchema,
)

from ..db import db
from ..federation.peers import find_peer
from ..http import context
from ..http.passes import check_at_desk
from ..http.passes import settle as settle_balance
from ..http.security import MANAGER
from ..passes import agreements, issuing, visits
from .base import endpoint

bp = Blueprint("api_passes", __name__, url_prefix="/api/v1")
TAGS = ("passes",)


def _month(value: str | None) -> date:
    today = context.now().astimezone(context.space_tz()).date()
    return date.fromisoformat(value + "-01") if value else today.replace(day=1)


def _agreement(agreement) -> dict:
    out = AgreementOutSchema().dump(agreement)
    out["terms"] = json.loads(agreement.terms)
    return out


@endpoint(bp, "/pass", summary="My network pass (renewed automatically), or null without an agreement",
          response=MyPassOutSchema, tags=TAGS)
def my_pass():
    now = context.now()
    hosts = issuing.hosts_for(db.session, now.date())
    row = issuing.my_pass(db.session, g.api_member, now) if hosts and g.api_member.is_active else None
    db.session.commit()
    return MyPassOutSchema().dump({"pass_": row, "hosts": hosts})


@endpoint(bp, "/pass", methods=("POST",), summary="Renew my pass with new choices", body=PassChoiceSchema,
          response=PassOutSchema, status=201, tags=TAGS)
def choose(data: dict):
    row = issuing.issue(db.session, g.api_member, context.now(), host=data["host"] or None,
                        show_name=data["show_name"], photo=data["photo"])
    db.session.commit()
    return PassOutSchema().dump(row)


@endpoint(bp, "/pass/visits", summary="My visits to other spaces", response=VisitOutSchema(many=True), tags=TAGS)
def my_visits():
    return VisitOutSchema(many=True).dump(visits.member_visits(db.session, g.api_member))


@endpoint(bp, "/passes/agreements", access=MANAGER, summary="Visiting agreements",
          response=AgreementOutSchema(many=True), tags=TAGS)
def list_agreements():
    return [_agreement(a) for a in agreements.list_agreements(db.session)]


@endpoint(bp, "/passes/agreements", methods=("POST",), access=MANAGER, summary="Offer a visiting agreement",
          body=AgreementOfferSchema, response=AgreementOutSchema, status=201, tags=TAGS)
def offer(data: dict):
    peer = find_peer(db.session, data.pop("peer"))
    agreement = agreements.offer(db.session, peer, **data)
    db.session.commit()
    return _agreement(agreement)


@endpoint(bp, "/passes/agreements/<int:agreement_pk>/answer", methods=("POST",), access=MANAGER,
          summary="Accept or decline an agreement offered to us", body=AgreementAnswerSchema,
          response=AgreementOutSchema, tags=TAGS)
def answer(agreement_pk: int, data: dict):
    agreement = agreements.answer(db.session, agreements.get_agreement(db.session, agreement_pk),
                                  data["decision"] == "accept")
    db.session.commit()
    return _agreement(agreement)


@endpoint(bp, "/passes/agreements/<int:agreement_pk>/end", methods=("POST",), access=MANAGER,
          summary="End an agreement", response=AgreementOutSchema, tags=TAGS)
def end(agreement_pk: int):
    agreement = agreements.end(db.session, agreements.get_agreement(db.session, agreement_pk))
    db.session.commit()
    return _agreement(agreement)


@endpoint(bp, "/passes/desk", methods=("POST",), access=MANAGER,
          summary="Check a pass at the front desk (offline) and record the visit; `accepted` and `reason` give the verdict", body=DeskCheckSchema,
          response=DeskOutSchema, tags=TAGS)
def desk(data: dict):
    outcome = check_at_desk(data["code"], g.api_member)
    db.session.commit()
    return DeskOutSchema().dump(outcome)  # a refused pass is an answer too: see `accepted`


@endpoint(bp, "/passes/balances", access=MANAGER, summary="Visits given and received per space, for a month",
          query=MonthQuerySchema, response=BalanceOutSchema(many=True), tags=TAGS)
def balances(data: dict):
    return BalanceOutSchema(many=True).dump(visits.balances(db.session, _month(data["month"])))


@endpoint(bp, "/passes/settle", methods=("POST",), access=MANAGER,
          summary="Turn a month's balance with a space into a barter ledger entry", body=SettleSchema,
          response=SettlementOutSchema, status=201, tags=TAGS)
def settle(data: dict):
    settlement = settle_balance(g.api_member, data["peer"], _month(data["month"]))
    db.session.commit()
    return SettlementOutSchema().dump(settlement)
