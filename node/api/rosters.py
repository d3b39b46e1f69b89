"""JSON API of the networks (signed rosters): the networks held here and one network's page
(its spaces, totals and Coworking Weeks); for the manager, asking to join one, deciding on the
join requests of a network we coordinate, and what our directory shares with a network."""

from __future__ import annotations

from flask import Blueprint, current_app
from sqlalchemy import select

from federation.errors import FederationError
from schemas.rosters import (
    ApplicationOutSchema,
    DirectoryShareSchema,
    JoinDecisionSchema,
    JoinRequestOutSchema,
    NetworkDetailOutSchema,
    NetworkJoinSchema,
    NetworkOutSchema,
)

from ..db import db
from ..errors import N_, Conflict, NotFound
from ..federation import peers
from ..federation.keyring import RUNTIME_INFO_KEY, FederationRuntime
from ..http.context import now
from ..http.security import MANAGER, MEMBER
from ..rosters import queries, rosters
from ..rosters.models import JoinRequest, Network
from .base import endpoint

bp = Blueprint("api_rosters", __name__, url_prefix="/api/v1")
TAGS = ("networks",)


def _runtime() -> FederationRuntime:
    return current_app.extensions[RUNTIME_INFO_KEY]


def dump_network(network: Network) -> dict:
    runtime = _runtime()
    return {"id": network.id, "network_id": network.network_id, "name": network.name,
            "description": network.description, "charter": network.charter,
            "version": network.version, "is_ours": network.is_ours,
            "on_roster": runtime.node_id in rosters.member_ids(network),
            "coordinators": rosters.coordinators_of(network),
            "members": rosters.members_of(network),
            "directory_share": rosters.directory_share(db.session, network)}


@endpoint(bp, "/networks", access=MEMBER, summary="The networks this node holds a roster of",
          response=NetworkOutSchema(many=True), tags=TAGS)
def list_networks():
    return NetworkOutSchema(many=True).dump(
        [dump_network(n) for n in rosters.list_networks(db.session)])


@endpoint(bp, "/networks/<int:network_pk>", access=MEMBER,
          summary="One network: its spaces, its totals (counts only) and its Coworking Weeks",
          response=NetworkDetailOutSchema, tags=TAGS)
def show_network(network_pk: int):
    session = db.session
    network = rosters.get_network(session, network_pk)
    spaces = queries.network_spaces(session, network)
    totals = queries.network_totals(spaces)
    out = dump_network(network)
    out["spaces"] = [{"node_id": s["node_id"], "name": s["name"], "is_us": s["is_us"],
                      "has_figures": bool(s["figures"])} for s in spaces]
    out["totals"] = totals
    out["weeks"] = queries.network_weeks(session, network, now())
    return NetworkDetailOutSchema().dump(out)


@endpoint(bp, "/admin/networks/join", methods=("POST",), access=MANAGER,
          summary="Ask to join a network (a peering request to its coordinator, who decides)",
          body=NetworkJoinSchema, response=ApplicationOutSchema, status=201, tags=TAGS)
def join(data: dict):
    session, runtime = db.session, _runtime()
    try:
        application = rosters.ask_to_join(session, runtime, data["network"].strip(),
                                          data["coordinator"])
        session.commit()
    except FederationError:
        session.rollback()
        raise Conflict(N_("The coordinator could not be reached."),
                       code="coordinator_unreachable") from None
    rosters.send_application(session, runtime, application)
    session.commit()
    return ApplicationOutSchema().dump(application)


@endpoint(bp, "/admin/networks/requests", access=MANAGER,
          summary="Join requests waiting for our decision (networks we coordinate)",
          response=JoinRequestOutSchema(many=True), tags=TAGS)
def join_requests():
    session, runtime = db.session, _runtime()
    pending = [r for n in rosters.list_networks(session) if rosters.can_coordinate(runtime, n)
               for r in rosters.pending_requests(session, n)]
    return JoinRequestOutSchema(many=True).dump(pending)


@endpoint(bp, "/admin/networks/requests/<int:request_id>", methods=("POST",), access=MANAGER,
          summary="Accept or refuse a join request (accepted: the space goes on the roster)",
          body=JoinDecisionSchema, response=JoinRequestOutSchema, tags=TAGS)
def decide(request_id: int, data: dict):
    session, runtime = db.session, _runtime()
    join_request = session.scalar(select(JoinRequest).where(JoinRequest.id == request_id))
    if join_request is None:
        raise NotFound(N_("No such join request."))
    peer = None
    if data["action"] == "accept":
        peer = rosters.accept(session, runtime, join_request)
    else:
        rosters.refuse(session, join_request)
    session.commit()
    if peer is not None and peer.needs_confirmation:
        peers.send_confirmation(session, runtime, peer)
        session.commit()
    return JoinRequestOutSchema().dump(join_request)


@endpoint(bp, "/admin/networks/<int:network_pk>/sharing", methods=("PUT",), access=MANAGER,
          summary="What our directory shares with the spaces a network had us peer with",
          body=DirectoryShareSchema, response=NetworkOutSchema, tags=TAGS)
def sharing(network_pk: int, data: dict):
    network = rosters.get_network(db.session, network_pk)
    rosters.set_directory_share(db.session, _runtime(), network, data["share"])
    db.session.commit()
    return NetworkOutSchema().dump(dump_network(network))
