"""JSON API: network search and introductions."""

from __future__ import annotations

from flask import Blueprint, current_app, g
from flask_babel import get_locale

from schemas.network import (
    IntroductionAcceptSchema,
    IntroductionDeclineSchema,
    IntroductionOutSchema,
    IntroductionRequestSchema,
    NetworkSearchOutSchema,
    NetworkSearchQuerySchema,
)

from ..db import db
from ..http.queries import facet_cap, search_query
from ..network import introductions
from ..network import search as network_search
from .base import endpoint

bp = Blueprint("api_network", __name__, url_prefix="/api/v1")


def dump_introduction(intro) -> dict:
    """A member's view: the other side's contact only once accepted."""
    status = introductions.visible_status(intro)
    data = IntroductionOutSchema().dump(intro)
    data["status"] = status
    if status != "accepted":
        data["other_email"] = None
        if intro.direction == "outgoing":
            data["other_name"] = None
    return data


@endpoint(bp, "/search", summary="Search the network (my space and the peers' copies)",
          query=NetworkSearchQuerySchema, response=NetworkSearchOutSchema, tags=("network",))
def search(data: dict):
    current_app.extensions["coworknet.network.limiter"].check(db.session, g.api_member.id)
    db.session.commit()  # the count is shared by every worker
    result = network_search.search_network(db.session, search_query(data),
                                            exclude_member_id=g.api_member.id,
                                            facet_cap=facet_cap())
    handles = current_app.extensions["coworknet.network.handles"]
    cards = network_search.result_cards(result, handles, g.api_member.id, str(get_locale() or "fr"))
    return {"concepts": sorted(result.concept_ids), "results": cards, "facets": result.facets,
            "facet_total": result.facet_total, "facets_capped": result.facets_capped}


@endpoint(bp, "/network/introductions", methods=("POST",), summary="Ask for an introduction",
          body=IntroductionRequestSchema, response=IntroductionOutSchema, status=201,
          tags=("network",))
def ask_introduction(data: dict):
    handles = current_app.extensions["coworknet.network.handles"]
    entry_id = handles.open(g.api_member.id, data["handle"])
    intro = introductions.request_introduction(db.session, g.api_member, entry_id, data["message"],
                                               data["concept"])
    db.session.commit()
    return dump_introduction(intro)


@endpoint(bp, "/network/introductions", summary="My introduction requests, sent and received",
          response=IntroductionOutSchema(many=True), tags=("network",))
def list_introductions():
    sent, received = introductions.list_for_member(db.session, g.api_member)
    return [dump_introduction(i) for i in (*sent, *received)]


@endpoint(bp, "/network/introductions/<int:intro_id>/accept", methods=("POST",),
          summary="Accept an introduction request addressed to me", body=IntroductionAcceptSchema,
          response=IntroductionOutSchema, tags=("network",))
def accept_introduction(intro_id: int, data: dict):
    intro = introductions.accept_introduction(db.session, g.api_member, intro_id,
                                              reveal_email=data["reveal_email"], message=data["message"])
    db.session.commit()
    return dump_introduction(intro)


@endpoint(bp, "/network/introductions/<int:intro_id>/decline", methods=("POST",),
          summary="Decline an introduction request addressed to me", body=IntroductionDeclineSchema,
          response=IntroductionOutSchema, tags=("network",))
def decline_introduction(intro_id: int, data: dict):
    intro = introductions.decline_introduction(db.session, g.api_member, intro_id)
    db.session.commit()
    return dump_introduction(intro)
