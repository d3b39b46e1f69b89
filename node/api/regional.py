"""JSON API for regional events: the program, registration to any session (hosted here or at
another node), and the organiser's and co-organisers' tools."""

from __future__ import annotations

from flask import Blueprint, current_app, g

from schemas.regional import (
    CountsOutSchema,
    InvitationAnswerSchema,
    InviteSchema,
    MyRegistrationOutSchema,
    ParticipantOutSchema,
    ProgramOutSchema,
    ProgramQuerySchema,
    RegionalCreateSchema,
    RegionalOutSchema,
    RegionalUpdateSchema,
    RemoteRegistrationSchema,
    ReportLineSchema,
    SessionCreateSchema,
    SessionOutSchema,
    SessionUpdateSchema,
)

from ..db import db
from ..federation.keyring import RUNTIME_INFO_KEY
from ..http.context import now
from ..http.queries import program_filter
from ..http.security import MANAGER, PUBLIC
from ..notices.requests import notify_change, notify_local_cancelled, notify_local_offers
from ..regional import regional
from ..regional import registration as remote
from ..rosters import rosters
from .base import endpoint
from .events import _optional_member

bp = Blueprint("api_regional", __name__, url_prefix="/api/v1")
TAGS = ("regional",)


def dump_regional(row) -> dict:
    out = RegionalOutSchema().dump(row)
    out["participants"] = ParticipantOutSchema(many=True).dump(regional.participants(db.session, row))
    return out


@endpoint(bp, "/regional", access=PUBLIC, summary="Regional events this node knows (public ones without a token)",
          response=RegionalOutSchema(many=True), tags=TAGS)
def list_regional():
    return [dump_regional(r) for r in regional.list_regional(db.session, _optional_member())]


@endpoint(bp, "/regional", methods=("POST",), access=MANAGER, summary="Create a regional event organised here (``network``: invite its spaces at once)",
          body=RegionalCreateSchema, response=RegionalOutSchema, status=201, tags=TAGS)
def create_regional(data: dict):
    network_pk = data.pop("network", None)
    network = rosters.get_network(db.session, network_pk) if network_pk else None
    row = regional.create_regional(db.session, g.api_member, data, now())
    if network is not None:
        rosters.invite_network(db.session, current_app.extensions[RUNTIME_INFO_KEY], row,
                               network, now())
    db.session.commit()
    return dump_regional(row)


@endpoint(bp, "/regional/<int:regional_id>", access=PUBLIC, summary="One regional event and its co-organisers",
          response=RegionalOutSchema, tags=TAGS)
def get_regional(regional_id: int):
    return dump_regional(regional.get_regional(db.session, regional_id, _optional_member()))


@endpoint(bp, "/regional/<int:regional_id>", methods=("PATCH",), access=MANAGER,
          summary="Change our regional event (organiser only)", body=RegionalUpdateSchema,
          response=RegionalOutSchema, tags=TAGS)
def update_regional(regional_id: int, data: dict):
    row = regional.update_regional(db.session, regional.get_regional(db.session, regional_id, g.api_member), data)
    db.session.commit()
    return dump_regional(row)


@endpoint(bp, "/regional/<int:regional_id>/cancel", methods=("POST",), access=MANAGER,
          summary="Cancel our regional event (organiser only)", response=RegionalOutSchema, tags=TAGS)
def cancel_regional(regional_id: int):
    row = regional.cancel_regional(db.session, regional.get_regional(db.session, regional_id, g.api_member))
    db.session.commit()
    return dump_regional(row)


@endpoint(bp, "/regional/<int:regional_id>/invitations", methods=("POST",), access=MANAGER,
          summary="Invite approved peers, or every peered space of a network, to co-organise "
                  "(signed invitations)", body=InviteSchema,
          response=RegionalOutSchema, tags=TAGS)
def invite(regional_id: int, data: dict):
    row = regional.get_regional(db.session, regional_id, g.api_member)
    network = rosters.get_network(db.session, data["network"]) if data["network"] else None
    if data["node_ids"]:
        regional.invite(db.session, row, data["node_ids"], now())
    if network is not None:
        rosters.invite_network(db.session, current_app.extensions[RUNTIME_INFO_KEY], row,
                               network, now())
    db.session.commit()
    return dump_regional(row)


@endpoint(bp, "/regional/<int:regional_id>/answer", methods=("POST",), access=MANAGER,
          summary="Accept or decline an invitation to co-organise", body=InvitationAnswerSchema,
          response=RegionalOutSchema, tags=TAGS)
def answer(regional_id: int, data: dict):
    row = regional.get_regional(db.session, regional_id, g.api_member)
    regional.answer_invitation(db.session, row, data["decision"], now())
    db.session.commit()
    return dump_regional(row)


@endpoint(bp, "/regional/<int:regional_id>/program", access=PUBLIC,
          summary="The program: every session of every co-organiser (filter by day, space, kind)",
          query=ProgramQuerySchema, response=ProgramOutSchema, tags=TAGS)
def program(regional_id: int, data: dict):
    row = regional.get_regional(db.session, regional_id, _optional_member())
    shown = regional.program(db.session, row, program_filter(data))
    return {"regional": dump_regional(row), "sessions": SessionOutSchema(many=True).dump(shown.sessions)}


@endpoint(bp, "/regional/<int:regional_id>/sessions", methods=("POST",), access=MANAGER,
          summary="Add a session at our venue (an event of this space)", body=SessionCreateSchema,
          response=SessionOutSchema, status=201, tags=TAGS)
def create_session(regional_id: int, data: dict):
    row = regional.get_regional(db.session, regional_id, g.api_member)
    created = regional.create_session(db.session, g.api_member, row, data, now())
    db.session.commit()
    return SessionOutSchema().dump(created)


@endpoint(bp, "/regional/sessions/<int:session_id>", methods=("PATCH",), access=MANAGER,
          summary="Change time, room or capacity of our session (host only)", body=SessionUpdateSchema,
          response=SessionOutSchema, tags=TAGS)
def update_session(session_id: int, data: dict):
    row = regional.get_session(db.session, session_id)
    change = regional.update_session(db.session, g.api_member, row, data, now())
    db.session.commit()
    notify_change(change)
    return SessionOutSchema().dump(row)


@endpoint(bp, "/regional/sessions/<int:session_id>/cancel", methods=("POST",), access=MANAGER,
          summary="Cancel our session; registrants here and at other nodes are told",
          response=SessionOutSchema, tags=TAGS)
def cancel_session(session_id: int):
    row = regional.get_session(db.session, session_id)
    told = regional.cancel_session(db.session, g.api_member, row, now())
    db.session.commit()
    notify_local_cancelled(told)
    return SessionOutSchema().dump(row)


@endpoint(bp, "/regional/sessions/<int:session_id>/registration", methods=("POST",),
          summary="Register for a session, here or at the node that hosts it", body=RemoteRegistrationSchema,
          response=MyRegistrationOutSchema, status=201, tags=TAGS)
def register(session_id: int, data: dict):
    row = regional.get_session(db.session, session_id)
    mine = remote.register_any(db.session, g.api_member, row, now(), share_email=data["share_email"])
    db.session.commit()
    return MyRegistrationOutSchema().dump(mine)


@endpoint(bp, "/regional/sessions/<int:session_id>/registration", methods=("DELETE",),
          summary="Cancel my registration to a session", response=MyRegistrationOutSchema, tags=TAGS)
def cancel_registration(session_id: int):
    row = regional.get_session(db.session, session_id)
    mine, offers = remote.cancel_any(db.session, g.api_member, row, now())
    db.session.commit()
    notify_local_offers(offers)
    return MyRegistrationOutSchema().dump(mine)


@endpoint(bp, "/me/regional-registrations", summary="My registrations to regional sessions, with their status",
          response=MyRegistrationOutSchema(many=True), tags=TAGS)
def my_registrations():
    return MyRegistrationOutSchema(many=True).dump(remote.all_mine(db.session, g.api_member))


@endpoint(bp, "/regional/<int:regional_id>/report", access=MANAGER,
          summary="The organiser's report: figures per co-organiser (aggregates only)",
          response=ReportLineSchema(many=True), tags=TAGS)
def report(regional_id: int):
    row = regional.get_regional(db.session, regional_id, g.api_member)
    return ReportLineSchema(many=True).dump(regional.report(db.session, row))


@endpoint(bp, "/regional/<int:regional_id>/report", methods=("POST",), access=MANAGER,
          summary="Send our figures to the organiser (counts only)", response=CountsOutSchema, tags=TAGS)
def send_report(regional_id: int):
    row = regional.get_regional(db.session, regional_id, g.api_member)
    counts = regional.send_report(db.session, row)
    db.session.commit()
    return counts
