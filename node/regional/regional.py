"""Joint regional events: create, invite co-organisers, answer, add sessions, the program,
and the organiser's report.

Ownership: the organiser owns the regional event, each host owns its sessions; only the owner
changes an object (local rows have ``is_local``; copies are written only by
``regional_sync`` from verified feed items of their owner). A local session is an ``Event`` of
this node, so capacity, the waitlist, hosts and member-led workshops are the events area's.
The organiser's event is published here when it changes; sessions are published by
``regional_sync`` when their event changes (whoever changed it), and incoming items and
messages are applied there.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from federation.messages import (
    EVENT_REGIONAL,
    EVENT_SESSION,
    REGIONAL_ANSWER,
    REGIONAL_INVITATION,
    REGIONAL_REPORT,
    make_object_id,
)
from federation.plausibility import MAX_EVENT_DAYS

from ..db import for_update
from ..domain_events import RegionalEventCancelled
from ..errors import N_, Conflict, Forbidden, NotFound, ValidationError
from ..events import events, recurrence
from ..events.models import Event, Registration
from ..events.registrations import seats_taken
from ..federation import hooks as federation_hooks
from ..federation.keyring import runtime_of
from ..federation.models import APPROVED, Peer
from ..members.models import Member
from ..network.models import Introduction
from ..uow import record
from .models import RegionalEvent, RegionalParticipant, RegionalReportCount, RegionalSession

logger = logging.getLogger(__name__)

INVITATION = REGIONAL_INVITATION
ANSWER = REGIONAL_ANSWER
REPORT = REGIONAL_REPORT

#: Event types of the events area → the protocol's session kinds.
KIND_OF_TYPE = {
    "atelier": "workshop", "formation": "training", "conference": "talk", "debat": "talk",
    "aperitif": "social", "cinq_a_sept": "social", "soiree_jeux": "social",
    "degustation": "social", "journee_coworking": "meetup", "autre": "other",
}


#: The protocol's session kinds → the events area's type that stands for each, for the sessions
#: of other spaces (the wire carries the kind only; our own sessions show their event's type).
TYPE_OF_KIND = {
    "workshop": "atelier", "training": "formation", "talk": "conference", "meetup": "journee_coworking",
    "social": "aperitif", "other": "autre",
}


def _invalid(name: str, message: str) -> ValidationError:
    return ValidationError(N_("Please check the highlighted fields."), fields={name: [message]})


def our_node(session: Session) -> str:
    return runtime_of(session).node_id


# --- lookups ----------------------------------------------------------------------------------

def get_regional(session: Session, regional_id: int, viewer: Member | None = None) -> RegionalEvent:
    """A regional event this node knows; a network-only one is hidden from visitors."""
    regional = session.get(RegionalEvent, regional_id)
    if regional is None or (viewer is None and not regional.is_public):
        raise NotFound(N_("No such regional event."))
    return regional


def by_object_id(session: Session, object_id: str) -> RegionalEvent | None:
    return session.scalar(select(RegionalEvent).where(RegionalEvent.object_id == object_id))


def list_regional(session: Session, viewer: Member | None) -> list[RegionalEvent]:
    query = select(RegionalEvent).order_by(RegionalEvent.starts_at)
    if viewer is None:
        query = query.where(RegionalEvent.visibility == "public")
    return list(session.scalars(query))


def next_regional(session: Session, viewer: Member | None, now: datetime) -> RegionalEvent | None:
    """The joint event on now, or else the next one, that ``viewer`` may see (the home page)."""
    query = (select(RegionalEvent).where(RegionalEvent.ends_at > now, RegionalEvent.status == "scheduled")
             .order_by(RegionalEvent.starts_at, RegionalEvent.id).limit(1))
    if viewer is None:
        query = query.where(RegionalEvent.visibility == "public")
    return session.scalar(query)


def participants(session: Session, regional: RegionalEvent) -> list[RegionalParticipant]:
    return list(session.scalars(select(RegionalParticipant).where(
        RegionalParticipant.regional_event_id == regional.id).order_by(RegionalParticipant.id)))


def participant(session: Session, regional: RegionalEvent, node_id: str) -> RegionalParticipant | None:
    return session.scalar(select(RegionalParticipant).where(
        RegionalParticipant.regional_event_id == regional.id,
        RegionalParticipant.node_id == node_id))


def named_participants(session: Session, regional: RegionalEvent) -> list[RegionalParticipant]:
    """The co-organisers this node names in the program: on our own event, those who answered
    us; on a peer's, ourselves when our manager accepted, and a third node only once it
    published a session of the event (a session item it signed: its own word that it takes
    part). An organiser's list alone enrols nobody (PROTOCOL §6.1)."""
    rows = [p for p in participants(session, regional) if p.status == "accepted"]
    if regional.is_local:
        return rows
    ours = our_node(session)
    hosting = set(session.scalars(select(RegionalSession.host).where(
        RegionalSession.regional_event_object_id == regional.object_id)))
    return [p for p in rows if p.node_id == ours or p.node_id in hosting]


def co_organisers(session: Session, regional: RegionalEvent) -> list[str]:
    """The organiser and every node that accepted: the hosts whose sessions are in the program."""
    accepted = session.scalars(select(RegionalParticipant.node_id).where(
        RegionalParticipant.regional_event_id == regional.id,
        RegionalParticipant.status == "accepted").order_by(RegionalParticipant.node_id))
    return [regional.organiser, *[n for n in accepted if n != regional.organiser]]


def get_session(session: Session, session_id: int) -> RegionalSession:
    row = session.get(RegionalSession, session_id)
    if row is None:
        raise NotFound(N_("No such session."))
    return row


def session_by_object_id(session: Session, object_id: str) -> RegionalSession | None:
    return session.scalar(select(RegionalSession).where(RegionalSession.object_id == object_id))


# --- wire format and messages -----------------------------------------------------------------

def iso(moment: datetime, tz_name: str) -> str:
    return moment.astimezone(recurrence.zone(tz_name)).isoformat()


def regional_content(session: Session, regional: RegionalEvent) -> dict:
    """The ``event.regional`` content of our event."""
    return {
        "title": regional.title, "description": regional.description, "kind": regional.kind,
        "starts_at": iso(regional.starts_at, regional.timezone),
        "ends_at": iso(regional.ends_at, regional.timezone), "timezone": regional.timezone,
        "status": regional.status, "organiser": regional.organiser, "region": regional.region,
        "visibility": regional.visibility, "participants": co_organisers(session, regional)[1:],
    }


def publish_regional(session: Session, regional: RegionalEvent) -> None:
    """Append our regional event's current state to the signed feed. Flushes.

    The event's row is locked first, so that two co-organisers answering at the same moment
    are published one after the other, the second with the first's answer (on PostgreSQL each
    would otherwise list only itself, and the later item, which replaces the earlier one,
    would drop a co-organiser and hide its sessions from every program)."""
    session.execute(for_update(session, select(RegionalEvent.id).where(RegionalEvent.id == regional.id)))
    local_id = regional.object_id.removeprefix(regional.organiser + "/")
    federation_hooks.publish(session, item_type=EVENT_REGIONAL, local_id=local_id,
                             content=regional_content(session, regional))


def session_content(row: RegionalSession) -> dict:
    """The ``event.session`` content of our session."""
    venue = {"name": row.venue_name or "-", "city": row.venue_city or "-"}
    if row.venue_address:
        venue["address"] = row.venue_address
    content = {
        "title": row.title, "description": row.description, "kind": row.kind,
        "starts_at": iso(row.starts_at, row.timezone), "ends_at": iso(row.ends_at, row.timezone),
        "timezone": row.timezone, "status": row.status,
        "regional_event_id": row.regional_event_object_id, "host": row.host, "venue": venue,
        "capacity": row.capacity,
    }
    if row.seats_left is not None:
        content["seats_left"] = row.seats_left
    return content


def publish_session(session: Session, row: RegionalSession) -> None:
    """Append our session's current state to the signed feed. Flushes."""
    federation_hooks.publish(session, item_type=EVENT_SESSION,
                             local_id=row.object_id.removeprefix(row.host + "/"),
                             content=session_content(row))


def send_invitation(session: Session, regional: RegionalEvent, node_id: str) -> None:
    content = {**regional_content(session, regional), "regional_event_id": regional.object_id,
               "organiser_name": regional.organiser_name or regional.organiser}
    federation_hooks.send_inbox_message(session, node_id, INVITATION, content, deliver_now=True)


def send_answer(session: Session, regional: RegionalEvent, decision: str) -> None:
    federation_hooks.send_inbox_message(
        session, regional.organiser, ANSWER,
        {"regional_event_id": regional.object_id, "decision": decision}, deliver_now=True)


def send_counts(session: Session, regional: RegionalEvent, counts: dict[str, int]) -> None:
    federation_hooks.send_inbox_message(
        session, regional.organiser, REPORT, {"regional_event_id": regional.object_id, **counts},
        deliver_now=True)


# --- the organiser ----------------------------------------------------------------------------

def _check_dates(data: dict, tz_name: str) -> tuple[datetime, datetime]:
    recurrence.zone(tz_name)
    starts = events.to_utc(data["starts_at"], tz_name)
    ends = events.to_utc(data["ends_at"], tz_name)
    if ends <= starts:
        raise _invalid("ends_at", N_("The end must be after the start."))
    if (ends - starts).days >= MAX_EVENT_DAYS:  # its feed item would be implausible to peers
        raise _invalid("ends_at", N_("A regional event cannot last 31 days or more."))
    return starts, ends


def create_regional(session: Session, actor: Member, data: dict, now: datetime) -> RegionalEvent:
    """Create a regional event organised by this node (published by ``regional_sync``)."""
    tz_name = data.get("timezone") or "Europe/Paris"
    starts, ends = _check_dates(data, tz_name)
    if ends < now:
        raise _invalid("ends_at", N_("The event cannot end in the past."))
    runtime = runtime_of(session)
    regional = RegionalEvent(
        object_id="", organiser=runtime.node_id, organiser_name=runtime.name, is_local=True,
        title=data["title"], description=data.get("description", ""), region=data.get("region", ""),
        kind=data.get("kind", "meetup"), starts_at=starts, ends_at=ends, timezone=tz_name,
        visibility=data.get("visibility", "network"), status="scheduled")
    session.add(regional)
    session.flush()
    regional.object_id = make_object_id(runtime.node_id, f"regional/{regional.id}")
    session.flush()
    publish_regional(session, regional)
    logger.info("regional event %s created", regional.id)
    return regional


def require_local(regional: RegionalEvent) -> None:
    if not regional.is_local:
        raise Forbidden(N_("Only the organising space can change this regional event."))


def update_regional(session: Session, regional: RegionalEvent, data: dict) -> RegionalEvent:
    """Change the organiser's own regional event (title, dates, description, visibility)."""
    require_local(regional)
    if regional.status == "cancelled":
        raise Conflict(N_("This regional event is cancelled."), code="cancelled")
    tz_name = data.get("timezone", regional.timezone)
    if "starts_at" in data or "ends_at" in data:
        starts, ends = _check_dates({"starts_at": data.get("starts_at", regional.starts_at),
                                     "ends_at": data.get("ends_at", regional.ends_at)}, tz_name)
        regional.starts_at, regional.ends_at = starts, ends
    for name in ("title", "description", "region", "kind", "visibility", "timezone"):
        if name in data:
            setattr(regional, name, data[name])
    session.flush()
    publish_regional(session, regional)
    return regional


def cancel_regional(session: Session, regional: RegionalEvent) -> RegionalEvent:
    require_local(regional)
    if regional.status == "cancelled":
        raise Conflict(N_("This regional event is already cancelled."), code="cancelled")
    regional.status = "cancelled"
    session.flush()
    record(session, RegionalEventCancelled(regional.object_id))
    publish_regional(session, regional)
    return regional


def invite(session: Session, regional: RegionalEvent, node_ids: list[str], now: datetime) -> list[RegionalParticipant]:
    """Invite approved peers to co-organise; each gets a signed ``regional.invitation``."""
    require_local(regional)
    if regional.status == "cancelled":
        raise Conflict(N_("This regional event is cancelled."), code="cancelled")
    peers = {p.node_id: p for p in session.scalars(select(Peer).where(
        Peer.node_id.in_(node_ids), Peer.status == APPROVED))}
    unknown = [n for n in node_ids if n not in peers]
    if unknown:
        raise _invalid("node_ids", N_("Only approved peers can be invited."))
    invited = []
    for node_id in dict.fromkeys(node_ids):
        row = participant(session, regional, node_id)
        if row is not None and row.status != "declined":
            continue
        if row is None:
            row = RegionalParticipant(regional_event_id=regional.id, node_id=node_id,
                                      name=peers[node_id].name or node_id)
            session.add(row)
        row.status, row.invited_at, row.answered_at = "invited", now, None
        session.flush()
        send_invitation(session, regional, node_id)
        invited.append(row)
    return invited


def pending_invitations(session: Session) -> list[RegionalEvent]:
    """Invitations this node received and has not answered."""
    ours = our_node(session)
    return list(session.scalars(
        select(RegionalEvent).join(RegionalParticipant)
        .where(RegionalParticipant.node_id == ours, RegionalParticipant.status == "invited",
               RegionalEvent.is_local.is_(False))
        .order_by(RegionalEvent.starts_at)))


def answer_invitation(session: Session, regional: RegionalEvent, decision: str, now: datetime) -> RegionalParticipant:
    """Accept or decline an invitation; the organiser is told by a signed ``regional.answer``."""
    if regional.is_local:
        raise Conflict(N_("This space organises this event."), code="own_event")
    row = participant(session, regional, our_node(session))
    if row is None:
        raise NotFound(N_("No invitation to answer."))
    if row.status == decision:
        return row
    row.status, row.answered_at = decision, now
    session.flush()
    send_answer(session, regional, decision)
    return row


def is_co_organiser(session: Session, regional: RegionalEvent) -> bool:
    return regional.is_local or our_node(session) in co_organisers(session, regional)


# --- sessions hosted here ---------------------------------------------------------------------

def create_session(session: Session, actor: Member, regional: RegionalEvent, data: dict,
                   now: datetime) -> RegionalSession:
    """Add a session at our venue: an event of this space (open to the network, or public
    when the regional event is) linked to the regional event."""
    if not is_co_organiser(session, regional):
        raise Forbidden(N_("Only co-organisers can add sessions."))
    if regional.status == "cancelled":
        raise Conflict(N_("This regional event is cancelled."), code="cancelled")
    event_data = {k: v for k, v in data.items() if v is not None or k in ("capacity", "venue_id")}
    event_data.update(status="published", audience="public" if regional.is_public else "network",
                      timezone=data.get("timezone") or regional.timezone)
    event = events.create_event(session, actor, event_data, now)
    runtime = runtime_of(session)
    row = RegionalSession(object_id="", regional_event_object_id=regional.object_id,
                          host=runtime.node_id, host_name=runtime.name, is_local=True,
                          event_id=event.id, title=event.title, starts_at=event.start_at,
                          ends_at=event.end_at)
    session.add(row)
    session.flush()
    row.object_id = make_object_id(runtime.node_id, f"regional-session/{row.id}")
    mirror_event(session, row)
    publish_session(session, row)
    return row


OCCURRENCE_FIELDS = ("start_at", "end_at", "venue_id", "capacity")


def session_occurrence(event: Event):
    """The date of a session's event: its live one (the events admin may have moved the event,
    which cancels the old date and makes a new one), else its last."""
    live = [o for o in event.occurrences if not o.is_cancelled]
    return live[0] if live else (event.occurrences[-1] if event.occurrences else None)


def local_event(session: Session, row: RegionalSession) -> Event:
    if not row.is_local or row.event_id is None:
        raise Forbidden(N_("Only the hosting space can change this session."))
    return session.get(Event, row.event_id)


def update_session(session: Session, actor: Member, row: RegionalSession, data: dict,
                   now: datetime) -> events.EventChange:
    """Change time, room or capacity of our session; returns the waitlist offers made and, when
    it moved, its registrants (``regional_sync`` republishes it before the commit)."""
    event = local_event(session, row)
    if event.status == "cancelled":
        raise Conflict(N_("This session is cancelled."), code="cancelled")
    # Time, room and capacity are changes of the session's one date (its seats and waitlist
    # stay with it); title and description are the event's.
    dated = {k: data[k] for k in OCCURRENCE_FIELDS if k in data}
    change = events.EventChange(event)
    if dated:
        change = events.update_occurrence(session, session_occurrence(event), dated, now)
    rest = {k: v for k, v in data.items() if k not in OCCURRENCE_FIELDS}
    if rest:
        change.offers += events.update_event(session, actor, event, rest, now).offers
    return change


def cancel_session(session: Session, actor: Member, row: RegionalSession, now: datetime) -> list[Registration]:
    """Cancel our session; returns the local registrations to tell (remote ones are cancelled
    and their nodes told before the commit, see ``regional_sync``)."""
    told = events.cancel_event(session, actor, local_event(session, row), now)
    return [r for r in told if r.registrant_kind == "local"]


def mirror_event(session: Session, row: RegionalSession) -> bool:
    """Copy the local event's current values into the session row; True when they changed."""
    event = session.get(Event, row.event_id) if row.event_id else None
    if event is None:
        return False
    occurrence = session_occurrence(event)
    venue = occurrence.venue if occurrence is not None else event.venue
    runtime = runtime_of(session)
    capacity = occurrence.capacity if occurrence is not None else event.capacity
    taken = seats_taken(session, occurrence.id) if occurrence is not None else 0
    values = {
        "title": event.title, "description": event.description,
        "kind": KIND_OF_TYPE.get(event.type, "other"),
        "starts_at": occurrence.start_at if occurrence else event.start_at,
        "ends_at": occurrence.end_at if occurrence else event.end_at,
        "timezone": event.timezone,
        "venue_name": venue.name if venue is not None else (runtime.name or "")[:200],
        "venue_city": runtime.city or runtime.name or "-",
        "venue_address": (venue.address if venue is not None and venue.address else event.address) or "",
        "capacity": capacity,
        "seats_left": None if capacity is None else max(capacity - taken, 0),
        "status": "cancelled" if event.status == "cancelled" or (occurrence and occurrence.is_cancelled)
        else "scheduled",
    }
    changed = False
    for name, value in values.items():
        current = getattr(row, name)
        if isinstance(current, datetime) and current.tzinfo is None:
            current = current.replace(tzinfo=UTC)
        if current != value:
            setattr(row, name, value)
            changed = True
    session.flush()
    return changed


# --- the program ------------------------------------------------------------------------------

@dataclass
class ProgramFilter:
    day: date | None = None
    host: str | None = None
    kind: str | None = None
    #: A type of the events area (``atelier``, ``aperitif``...), as the program shows them.
    type: str | None = None


@dataclass
class Program:
    regional: RegionalEvent
    sessions: list[RegionalSession]
    hosts: list[tuple[str, str]] = field(default_factory=list)
    days: list[date] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    #: Each session's type in the events area's vocabulary (session id → type).
    types: dict[int, str] = field(default_factory=dict)
    #: The types of the whole program, for its filter.
    all_types: list[str] = field(default_factory=list)


def session_types(session: Session, rows: list[RegionalSession]) -> dict[int, str]:
    """Each session's type in the events area's words: ours is its event's type; another
    space's, the type that stands for its protocol kind (one query for all of ours)."""
    event_ids = [r.event_id for r in rows if r.is_local and r.event_id is not None]
    ours = dict(session.execute(select(Event.id, Event.type).where(Event.id.in_(event_ids))).all()) if event_ids else {}
    return {r.id: ours.get(r.event_id) or TYPE_OF_KIND.get(r.kind, "autre") for r in rows}


def program(session: Session, regional: RegionalEvent, filters: ProgramFilter | None = None) -> Program:
    """Every session of the co-organisers, in time order; sessions of other nodes that claim
    the event are left out. Filters: local day (in the event's zone), host node, kind, type."""
    filters = filters or ProgramFilter()
    hosts = co_organisers(session, regional)
    rows = list(session.scalars(
        select(RegionalSession).where(RegionalSession.regional_event_object_id == regional.object_id,
                                      RegionalSession.host.in_(hosts))
        .order_by(RegionalSession.starts_at, RegionalSession.object_id)))
    types = session_types(session, rows)
    zone = recurrence.zone(regional.timezone)
    all_days = sorted({r.starts_at.astimezone(zone).date() for r in rows})
    names = {r.host: r.host_name or r.host for r in rows}
    kinds = sorted({r.kind for r in rows})
    shown = [r for r in rows
             if (filters.day is None or r.starts_at.astimezone(zone).date() == filters.day)
             and (filters.host is None or r.host == filters.host)
             and (filters.kind is None or r.kind == filters.kind)
             and (filters.type is None or types[r.id] == filters.type)]
    return Program(regional, shown, sorted(names.items(), key=lambda kv: kv[1]), all_days, kinds,
                   types, sorted(set(types.values())))


def session_in_program(session: Session, row: RegionalSession, viewer: Member | None) -> RegionalEvent:
    """The regional event whose program shows ``row`` to ``viewer``; NotFound when the viewer
    may not see that event or its host is not one of its co-organisers."""
    regional = by_object_id(session, row.regional_event_object_id)
    if regional is None or (viewer is None and not regional.is_public) \
            or row.host not in co_organisers(session, regional):
        raise NotFound(N_("No such session."))
    return regional


# --- the organiser's report -------------------------------------------------------------------

@dataclass
class NodeCounts:
    node_id: str
    name: str
    sessions: int = 0
    registrations: int = 0
    remote_registrations: int = 0
    attendance: int = 0
    introductions: int = 0
    reported: bool = True


def local_counts(session: Session, regional: RegionalEvent) -> dict[str, int]:
    """Our figures for the report: counts only, no person."""
    event_ids = list(session.scalars(select(RegionalSession.event_id).where(
        RegionalSession.regional_event_object_id == regional.object_id,
        RegionalSession.is_local.is_(True), RegionalSession.status == "scheduled",
        RegionalSession.event_id.is_not(None))))
    confirmed = select(func.count()).select_from(Registration).where(
        Registration.event_id.in_(event_ids), Registration.status == "confirmed")
    return {
        "sessions": len(event_ids),
        "registrations": session.scalar(confirmed) or 0,
        "remote_registrations": session.scalar(
            confirmed.where(Registration.registrant_kind == "remote")) or 0,
        "attendance": session.scalar(select(func.count()).select_from(Registration).where(
            Registration.event_id.in_(event_ids), Registration.attendance == "present")) or 0,
        "introductions": session.scalar(select(func.count()).select_from(Introduction).where(
            Introduction.status == "accepted", Introduction.created_at >= regional.starts_at,
            Introduction.created_at <= regional.ends_at)) or 0,
    }


def send_report(session: Session, regional: RegionalEvent) -> dict[str, int]:
    """A co-organiser sends its figures to the organiser (``regional.report``)."""
    if regional.is_local or not is_co_organiser(session, regional):
        raise Forbidden(N_("Only a co-organiser sends figures to the organiser."))
    counts = local_counts(session, regional)
    send_counts(session, regional, counts)
    return counts


def record_report(session: Session, regional: RegionalEvent, node_id: str, counts: dict, now: datetime) -> None:
    """Store the figures a co-organiser sent (the latest replaces the previous)."""
    row = session.scalar(select(RegionalReportCount).where(
        RegionalReportCount.regional_event_id == regional.id, RegionalReportCount.node_id == node_id))
    if row is None:
        row = RegionalReportCount(regional_event_id=regional.id, node_id=node_id)
        session.add(row)
    for name in ("sessions", "registrations", "remote_registrations", "attendance", "introductions"):
        setattr(row, name, counts[name])
    row.received_at = now
    session.flush()


def report(session: Session, regional: RegionalEvent) -> list[NodeCounts]:
    """The organiser's report: one line per co-organiser, ours computed, theirs as sent."""
    require_local(regional)
    runtime = runtime_of(session)
    per_host = Counter(r.host for r in program(session, regional).sessions if r.status == "scheduled")
    lines = [NodeCounts(runtime.node_id, runtime.name, **local_counts(session, regional))]
    received = {r.node_id: r for r in session.scalars(select(RegionalReportCount).where(
        RegionalReportCount.regional_event_id == regional.id))}
    names = {p.node_id: p.name for p in participants(session, regional)}
    for node_id in co_organisers(session, regional)[1:]:
        row = received.get(node_id)
        if row is None:
            lines.append(NodeCounts(node_id, names.get(node_id, node_id), sessions=per_host[node_id],
                                    reported=False))
            continue
        lines.append(NodeCounts(node_id, names.get(node_id, node_id), row.sessions, row.registrations,
                                row.remote_registrations, row.attendance, row.introductions))
    return lines


def upcoming_or_current(session: Session, now: datetime) -> list[RegionalEvent]:
    return list(session.scalars(select(RegionalEvent).where(
        or_(RegionalEvent.ends_at >= now, RegionalEvent.is_local.is_(True)))
        .order_by(RegionalEvent.starts_at)))
