"""JSON API for events: agenda, registration, workshop proposals, manager admin, check-ins."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import Blueprint, current_app, g, request

from schemas.events import (
    AttendanceSchema,
    AttendeeOutSchema,
    CheckInOutSchema,
    CheckInSchema,
    CheckOutSchema,
    EventCancelSchema,
    EventCreateSchema,
    EventListQuerySchema,
    EventOutSchema,
    EventPageSchema,
    EventSummarySchema,
    EventUpdateSchema,
    OccurrenceOutSchema,
    OccurrenceUpdateSchema,
    ProposalDecisionSchema,
    ProposalOutSchema,
    ProposalSchema,
    RegistrationOutSchema,
    VenueCreateSchema,
    VenueOutSchema,
)

from ..accounts import accounts
from ..db import db
from ..errors import N_, Forbidden
from ..events import checkins, dates, events, proposals, registrations
from ..events.access import can_manage
from ..events.models import Event, EventOccurrence, Registration
from ..http import context
from ..http.context import base_url, now, offer_ttl, space_tz
from ..http.security import MANAGER, PUBLIC
from ..members.models import Member
from ..notices import event_mail
from ..notices.requests import notify_change, notify_offers
from .base import endpoint

bp = Blueprint("api_events", __name__, url_prefix="/api/v1")
TAGS = ("events",)


def _optional_member() -> Member | None:
    """Public endpoints show more to a member who sends a token."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return accounts.member_for_api_token(db.session, token.strip())
    return None


#: Schemas that dump many rows, built once (a schema copies its fields when it is built; a
#: dump reads them only, so one instance serves every request and thread).
_OCCURRENCE = OccurrenceOutSchema()
_EVENT = EventOutSchema()
_EVENT_SUMMARY = EventSummarySchema()


def dump_occurrences(occurrences: list[EventOccurrence], viewer: Member | None = None) -> list[dict]:
    """Dates with their seats taken, waitlist length and the viewer's registration status,
    counted for all of them at once."""
    out = []
    for state in dates.states(db.session, occurrences, viewer):
        row = _OCCURRENCE.dump(state.occurrence)
        row.update(seats_taken=state.seats_taken, waitlist_length=state.waitlist,
                   my_status=state.mine.status if state.mine is not None else None)
        out.append(row)
    return out


def dump_event(event: Event, *, with_occurrences: bool = True, viewer: Member | None = None) -> dict:
    out = (_EVENT if with_occurrences else _EVENT_SUMMARY).dump(event)
    out["description_html"] = events.render_markdown(event.description)
    if with_occurrences:
        out["occurrences"] = dump_occurrences(list(event.occurrences), viewer)
    return out


def dump_registration(registration: Registration) -> dict:
    out = RegistrationOutSchema().dump(registration)
    out.update(waitlist_position=registrations.waitlist_position(db.session, registration),
               event_title=registration.event.title,
               start_at=_OCCURRENCE.dump(registration.occurrence)["start_at"],
               end_at=_OCCURRENCE.dump(registration.occurrence)["end_at"])
    return out


def dump_attendee(registration: Registration) -> dict:
    out = AttendeeOutSchema().dump(registration)
    out["waitlist_position"] = registrations.waitlist_position(db.session, registration)
    return out


# --- agenda -----------------------------------------------------------------------------------

@endpoint(bp, "/events", access=PUBLIC, summary="Upcoming events (public ones without a token)",
          query=EventListQuerySchema, response=EventPageSchema, tags=TAGS)
def list_events(data: dict):
    viewer = _optional_member()
    tz = space_tz()
    start_day = data["start"] or now().astimezone(tz).date()
    end_day = data["end"] or start_day + timedelta(days=120)
    occurrences = events.list_occurrences(
        db.session, viewer, start=datetime.combine(start_day, time(0), tzinfo=tz),
        end=datetime.combine(end_day, time(0), tzinfo=tz), event_type=data["type"],
        limit=data["limit"], offset=data["offset"])
    seen: dict[int, Event] = {}
    for occurrence in occurrences:
        seen.setdefault(occurrence.event_id, occurrence.event)
    dumped = dump_occurrences(occurrences, viewer)
    return {"items": [dump_event(e, with_occurrences=False) for e in seen.values()],
            "occurrences": [row | {"event_id": o.event_id} for row, o in zip(dumped, occurrences, strict=True)],
            "total": len(occurrences)}


@endpoint(bp, "/events/<int:event_id>", access=PUBLIC, summary="One event with its dates",
          response=EventOutSchema, tags=TAGS)
def get_event(event_id: int):
    viewer = _optional_member()
    return dump_event(events.get_event(db.session, event_id, viewer), viewer=viewer)


# --- registration -----------------------------------------------------------------------------

@endpoint(bp, "/events/occurrences/<int:occurrence_id>/registration", methods=("POST",),
          summary="Register for a date (or join its waitlist)", response=RegistrationOutSchema,
          status=201, tags=TAGS)
def register(occurrence_id: int):
    occurrence = events.get_occurrence(db.session, occurrence_id, g.api_member)
    result = registrations.register(db.session, occurrence.id, registrations.Registrant.local(g.api_member),
                                    now(), viewer=g.api_member)
    db.session.commit()
    return dump_registration(result.registration)


@endpoint(bp, "/events/occurrences/<int:occurrence_id>/registration", methods=("DELETE",),
          summary="Cancel my registration; the next on the waitlist is offered the seat",
          response=RegistrationOutSchema, tags=TAGS)
def cancel_registration(occurrence_id: int):
    occurrence = events.get_occurrence(db.session, occurrence_id, g.api_member)
    mine = registrations.require_member_registration(db.session, occurrence.id, g.api_member)
    offers = registrations.cancel_registration(db.session, mine, now(), offer_ttl())
    db.session.commit()
    notify_offers(offers)
    return dump_registration(mine)


@endpoint(bp, "/events/occurrences/<int:occurrence_id>/registration/confirm", methods=("POST",),
          summary="Confirm a seat offered from the waitlist", response=RegistrationOutSchema, tags=TAGS)
def confirm_offer(occurrence_id: int):
    occurrence = events.get_occurrence(db.session, occurrence_id, g.api_member)
    mine = registrations.require_member_registration(db.session, occurrence.id, g.api_member)
    registrations.confirm_offer(db.session, mine, now())
    db.session.commit()
    return dump_registration(mine)


@endpoint(bp, "/me/registrations", summary="My upcoming registrations",
          response=RegistrationOutSchema(many=True), tags=TAGS)
def my_registrations():
    rows = registrations.member_registrations(db.session, g.api_member, since=now())
    return [dump_registration(r) for r in rows]


# --- workshop proposals -----------------------------------------------------------------------

@endpoint(bp, "/events/proposals", methods=("POST",), summary="Propose a workshop",
          body=ProposalSchema, response=ProposalOutSchema, status=201, tags=TAGS)
def propose(data: dict):
    proposal = proposals.propose_workshop(db.session, g.api_member, data, now())
    db.session.commit()
    return ProposalOutSchema().dump(proposal)


@endpoint(bp, "/me/proposals", summary="My workshop proposals", response=ProposalOutSchema(many=True),
          tags=TAGS)
def my_proposals():
    return ProposalOutSchema(many=True).dump(proposals.list_proposals(db.session, member=g.api_member))


@endpoint(bp, "/admin/events/proposals", access=MANAGER, summary="Workshop proposals waiting for a decision",
          response=ProposalOutSchema(many=True), tags=TAGS)
def proposal_queue():
    return ProposalOutSchema(many=True).dump(proposals.list_proposals(db.session, open_only=True))


@endpoint(bp, "/admin/events/proposals/<int:proposal_id>/decision", methods=("POST",), access=MANAGER,
          summary="Approve, ask for changes or decline a workshop proposal",
          body=ProposalDecisionSchema, response=ProposalOutSchema, tags=TAGS)
def decide(proposal_id: int, data: dict):
    proposal = proposals.get_proposal(db.session, proposal_id, g.api_member)
    proposals.decide_proposal(db.session, g.api_member, proposal, data["decision"], data["comment"], now(),
                              audience=data["audience"], venue_id=data["venue_id"])
    db.session.commit()  # the member is notified (workshop.decided), with the comment
    return ProposalOutSchema().dump(proposal)


# --- manager ----------------------------------------------------------------------------------

@endpoint(bp, "/admin/events", methods=("POST",), access=MANAGER, summary="Create an event",
          body=EventCreateSchema, response=EventOutSchema, status=201, tags=TAGS)
def create_event(data: dict):
    event = events.create_event(db.session, g.api_member, data, now())
    db.session.commit()
    return dump_event(event)


@endpoint(bp, "/admin/events/<int:event_id>", methods=("PATCH",), access=MANAGER, summary="Change an event",
          body=EventUpdateSchema, response=EventOutSchema, tags=TAGS)
def update_event(event_id: int, data: dict):
    event = events.get_event(db.session, event_id, g.api_member)
    change = events.update_event(db.session, g.api_member, event, data, now())
    db.session.commit()
    notify_change(change)
    return dump_event(event)


@endpoint(bp, "/admin/events/<int:event_id>/cancel", methods=("POST",), access=MANAGER,
          summary="Cancel an event (registered people are told, with the reason when given)",
          body=EventCancelSchema, body_optional=True, response=EventOutSchema, tags=TAGS)
def cancel_event(event_id: int, data: dict):
    event = events.get_event(db.session, event_id, g.api_member)
    told = events.cancel_event(db.session, g.api_member, event, now(), reason=data["reason"])
    db.session.commit()
    event_mail.notify_cancelled(db.session, context.mail_sender(), told, base_url=base_url(),
                                default_locale=current_app.config["DEFAULT_LOCALE"],
                                reason=data["reason"])
    return dump_event(event)


@endpoint(bp, "/admin/events/occurrences/<int:occurrence_id>", methods=("PATCH",), access=MANAGER,
          summary="Change or cancel one date of an event", body=OccurrenceUpdateSchema,
          response=OccurrenceOutSchema, tags=TAGS)
def update_occurrence(occurrence_id: int, data: dict):
    occurrence = events.get_occurrence(db.session, occurrence_id, g.api_member)
    change = events.update_occurrence(db.session, occurrence, data, now())
    db.session.commit()
    notify_change(change)
    return dump_occurrences([occurrence])[0]


@endpoint(bp, "/events/occurrences/<int:occurrence_id>/attendees",
          summary="Attendees of a date (manager or host)", response=AttendeeOutSchema(many=True), tags=TAGS)
def attendees(occurrence_id: int):
    occurrence = events.get_occurrence(db.session, occurrence_id, g.api_member)
    events.require_manage(occurrence.event, g.api_member)
    return [dump_attendee(r) for r in registrations.attendees(db.session, occurrence.id)]


@endpoint(bp, "/events/registrations/<int:registration_id>/attendance", methods=("PUT",),
          summary="Mark present / no-show (manager or host)", body=AttendanceSchema,
          response=AttendeeOutSchema, tags=TAGS)
def attendance(registration_id: int, data: dict):
    registration = registrations.get_registration(db.session, registration_id)
    if not can_manage(registration.event, g.api_member):
        raise Forbidden(N_("Only the community manager or a host can do this."))
    registrations.mark_attendance(db.session, registration, data["attendance"])
    db.session.commit()
    return dump_attendee(registration)


@endpoint(bp, "/admin/venues", access=MANAGER, summary="Venues: rooms and external addresses",
          response=VenueOutSchema(many=True), tags=TAGS)
def list_venues():
    return VenueOutSchema(many=True).dump(events.list_venues(db.session, active_only=False))


@endpoint(bp, "/admin/venues", methods=("POST",), access=MANAGER, summary="Add a venue",
          body=VenueCreateSchema, response=VenueOutSchema, status=201, tags=TAGS)
def create_venue(data: dict):
    venue = events.create_venue(db.session, data)
    db.session.commit()
    return VenueOutSchema().dump(venue)


# --- check-ins --------------------------------------------------------------------------------

_CHECKIN = CheckInOutSchema()


def _dump_checkin(row, member: Member | None = None) -> dict:
    out = _CHECKIN.dump(row)
    member = member or db.session.get(Member, row.member_id)
    out.update(display_name=member.display_name, is_here=row.checked_out_at is None)
    return out


def _checkin_target(member_id: int | None) -> Member:
    if member_id is None or member_id == g.api_member.id:
        return g.api_member
    if not g.api_member.is_manager:
        raise Forbidden(N_("Only a community manager can do this."))
    return accounts.get_member(db.session, member_id)


@endpoint(bp, "/checkins", methods=("POST",), summary="Check in at the space (a manager may check a member in)",
          body=CheckInSchema, response=CheckInOutSchema, status=201, tags=("checkins",))
def check_in(data: dict):
    row = checkins.check_in(db.session, _checkin_target(data["member_id"]), now(), space_tz(),
                            recorded_by=g.api_member, period=data["period"])
    db.session.commit()
    return _dump_checkin(row)


@endpoint(bp, "/checkins/checkout", methods=("POST",), summary="Check out", body=CheckOutSchema,
          response=CheckInOutSchema, tags=("checkins",))
def check_out(data: dict):
    row = checkins.check_out(db.session, _checkin_target(data["member_id"]), now(), space_tz(),
                             recorded_by=g.api_member)
    db.session.commit()
    return _dump_checkin(row)


@endpoint(bp, "/checkins/today", summary="Who is here today", response=CheckInOutSchema(many=True),
          tags=("checkins",))
def who_is_here():
    rows = checkins.who_is_here(db.session, now(), space_tz())
    people = accounts.members_by_id(db.session, (r.member_id for r in rows))
    return [_dump_checkin(r, people[r.member_id]) for r in rows]
