"""Regional events over the federation: copies from the signed feed, inbox messages, the
answers of delivered registrations, and the upkeep run before each commit.

- Feed: ``event.regional`` and ``event.session`` items are applied as copies; one whose
  content names another node as ``organiser``/``host`` fails its page with
  ``origin_mismatch`` (one writer per object: the transport refuses it before anything is
  applied, and this module refuses it again should it get here). A session of a node that is
  not a co-organiser is stored but left out of the program. The organiser's ``participants``
  never speak for this node: our own row is made by the invitation we received and changed by
  our manager's answer only (a listing of us that we did not accept is ignored); a third node
  it lists is named in the program only once that node published a session of the event
  itself (its own signed word: :func:`node.regional.regional.named_participants`).
- Inbox: invitations only from the organiser of the event they name, answers and figures only
  from an invited node, registration responses only from the host of the session; anything
  else is refused and changes nothing.
- After each commit (the ``regional.upkeep`` reaction to ``EventChanged``,
  ``RegistrationChanged`` and ``RegionalEventCancelled``): a local session whose event changed (time, room, capacity,
  cancellation, seats taken — whoever changed it, in this area or in the events area) is
  republished; a remote registrant whose registration changed (promotion, cancellation) is
  told by a ``registration.response``; a seat offered to a remote registrant is confirmed at
  once (they asked for it).
- The whole regional event cancelled (by the organiser here, or its feed item, or its
  tombstone): after the commit, every session of it we host is cancelled (the events area's
  cancellation: its registrations end, no seat is offered any more, remote registrants' nodes
  are told) and every registration of ours to a session hosted elsewhere ends as cancelled.
- Mails to our members: when a session hosted elsewhere gets a new time or room, or is
  cancelled or deleted (a feed item), or a registration of ours moves (an inbox answer), or the
  whole regional event is cancelled, each of our active members holding an active registration
  for it is told once, in their language (suspended members are not mailed, as elsewhere). A
  registration's end is its move from an active status to ``cancelled``, a final status until
  the member registers again, in the transaction that applies the item (the rows read locked
  and afresh): a replayed or repeated item, or the host's later answer, mails nobody. The mails
  (``SessionNoticeQueued``) leave after its commit, also when the sync runs outside any
  request, and are retried until sent.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from marshmallow import ValidationError as SchemaError
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from federation.displaytext import clean
from federation.errors import OriginMismatch
from federation.keys import now_ms
from federation.messages import EVENT_REGIONAL, EVENT_SESSION
from schemas.federation import RegistrationResponseContentSchema

from ..db import for_update
from ..domain_events import (
    EventChanged,
    RegionalEventCancelled,
    RegistrationChanged,
    SeatsOffered,
    SessionNoticeQueued,
)
from ..errors import N_, Forbidden, NotFound
from ..events import events, registrations
from ..events.models import Event, Registration
from ..federation import hooks as federation_hooks
from ..federation.hooks import tell_managers_undeliverable
from ..federation.models import DELIVERY_PENDING, OutboxMessage, Peer
from ..federation.registry import HandlerRegistry
from ..members.models import Member
from ..notifications.operations import notify
from ..uow import Reactions, WorkContext, record
from . import regional
from . import registration as remote
from .models import (
    RegionalEvent,
    RegionalParticipant,
    RegionalSession,
    RemoteKeyState,
    RemoteRegistration,
)

logger = logging.getLogger(__name__)

#: What our members are told about when a session hosted elsewhere changes.
NOTIFIED_FIELDS = ("starts_at", "ends_at", "venue_name", "venue_city", "venue_address")
ACTIVE_REMOTE = ("pending", "confirmed", "waitlisted")
#: A digest is worth delivering for a day; a newer one replaces it meanwhile.
DIGEST_DELIVERY_MS = 24 * 3600 * 1000


def now() -> datetime:
    return datetime.now(UTC)


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def _peer_name(session: Session, node_id: str) -> str:
    name = session.scalar(select(Peer.name).where(Peer.node_id == node_id))
    return (name or node_id)[:200]


def _copy_event_fields(row: RegionalEvent, content: dict) -> None:
    row.title, row.description, row.kind = content["title"], content["description"], content["kind"]
    row.starts_at, row.ends_at = _parse_time(content["starts_at"]), _parse_time(content["ends_at"])
    row.timezone, row.status = content["timezone"], content["status"]
    row.region = content.get("region", "")
    row.visibility = content.get("visibility", "network")


# --- feed -------------------------------------------------------------------------------------

def apply_regional(session: Session, peer: Peer, item: dict) -> None:
    """A copy of a peer's regional event, with the list of its co-organisers."""
    existing = regional.by_object_id(session, item["id"])
    if existing is not None and existing.is_local:
        return
    if item["deleted"] or item.get("redacted"):
        if existing is not None:
            # Gone for good: as cancelled for its sessions here and our members' registrations.
            _cancel_week(session, existing.object_id, now())
            session.delete(existing)
        return
    content = item["content"]
    if content["organiser"] != item["owner"]:
        raise OriginMismatch("event.regional organiser is not the owner of the item")
    if existing is None:
        existing = RegionalEvent(object_id=item["id"], organiser=item["owner"], is_local=False,
                                 organiser_name=_peer_name(session, item["owner"]))
        session.add(existing)
    was_cancelled = existing.status == "cancelled"
    _copy_event_fields(existing, content)
    session.flush()
    if existing.status == "cancelled" and not was_cancelled:
        record(session, RegionalEventCancelled(existing.object_id))
    _copy_participants(session, existing, content.get("participants", []), item["owner"])
    session.flush()


def _copy_participants(session: Session, existing: RegionalEvent, listed: list[str],
                       owner: str) -> None:
    """The organiser's list of co-organisers, except what only we can say: whether we take
    part. Our own row comes from the invitation we received and our manager's answer; an
    organiser listing us without our acceptance is ignored (PROTOCOL §6.1)."""
    ours = regional.our_node(session)
    mine = regional.participant(session, existing, ours)
    if ours in listed and (mine is None or mine.status != "accepted"):
        logger.warning("event.regional %s lists this node, which did not accept; ignored",
                       existing.object_id)
    others = [n for n in dict.fromkeys(listed) if n not in (owner, ours)]
    for row in regional.participants(session, existing):
        if row.node_id != ours and row.node_id not in others:
            session.delete(row)
    for node_id in others:
        row = regional.participant(session, existing, node_id)
        if row is None:
            session.add(RegionalParticipant(regional_event_id=existing.id, node_id=node_id,
                                            name=_peer_name(session, node_id), status="accepted"))
        else:
            row.status = "accepted"


def _aware(moment):
    return moment.replace(tzinfo=UTC) if isinstance(moment, datetime) and moment.tzinfo is None else moment


def _snapshot(row: RegionalSession) -> dict:
    return {name: _aware(getattr(row, name)) for name in (*NOTIFIED_FIELDS, "status")}


def apply_session(session: Session, peer: Peer, item: dict) -> None:
    """A copy of a session hosted by a peer; our members registered for it are told a new
    time or room, or its cancellation (once: only when our copy changes)."""
    # Locked, and read afresh: two pulls applying the same item one after the other compare
    # against what the first one committed, so only one of them mails.
    existing = session.scalar(for_update(session, select(RegionalSession).where(
        RegionalSession.object_id == item["id"])))
    if existing is not None and existing.is_local:
        return
    if item["deleted"] or item.get("redacted"):
        if existing is not None:
            if existing.status != "cancelled":
                _session_cancelled(session, existing)  # told from the copy, before it goes
            session.delete(existing)
        return
    content = item["content"]
    if content["host"] != item["owner"]:
        raise OriginMismatch("event.session host is not the owner of the item")
    before = None if existing is None else _snapshot(existing)
    if existing is None:
        existing = RegionalSession(object_id=item["id"], host=item["owner"], is_local=False,
                                   host_name=_peer_name(session, item["owner"]))
        session.add(existing)
    venue = content["venue"]
    existing.regional_event_object_id = content["regional_event_id"]
    existing.title, existing.description = content["title"], content["description"]
    existing.kind, existing.timezone, existing.status = content["kind"], content["timezone"], content["status"]
    existing.starts_at, existing.ends_at = _parse_time(content["starts_at"]), _parse_time(content["ends_at"])
    existing.venue_name, existing.venue_city = venue["name"], venue["city"]
    existing.venue_address = venue.get("address", "")
    existing.capacity, existing.seats_left = content["capacity"], content.get("seats_left")
    session.flush()
    if before is None:
        return  # a first copy: nobody here registered for it yet
    if existing.status == "cancelled" and before["status"] != "cancelled":
        _session_cancelled(session, existing)
    elif existing.status != "cancelled" and any(before[name] != _aware(getattr(existing, name))
                                                for name in NOTIFIED_FIELDS):
        for row in _active_registrations(session, existing):
            _queue_notice(session, "moved", row, existing, before_starts_at=before["starts_at"])


def _active_registrations(session: Session, row: RegionalSession, *,
                          lock: bool = False) -> list[RemoteRegistration]:
    query = select(RemoteRegistration).where(
        RemoteRegistration.session_object_id == row.object_id,
        RemoteRegistration.action == "register",
        RemoteRegistration.status.in_(ACTIVE_REMOTE)).order_by(RemoteRegistration.id)
    if lock:
        query = for_update(session, query)
    return list(session.scalars(query))


def _session_cancelled(session: Session, row: RegionalSession) -> None:
    """The host cancelled (or deleted) the session: our registrations to it end as cancelled,
    also those still on their way to the host, and their members are told (unless the host's
    answer about their registration already told them)."""
    _end_registrations(session, _active_registrations(session, row, lock=True), {row.object_id: row})


def _end_registrations(session: Session, rows: list[RemoteRegistration],
                       copies: dict[str, RegionalSession]) -> None:
    for registration in rows:
        if remote.end_registration(session, registration):
            _queue_notice(session, "cancelled", registration, copies[registration.session_object_id])


def _cancel_week(session: Session, object_id: str, moment: datetime) -> None:
    """The regional event ``object_id`` is cancelled (or gone): cancel the sessions we host
    (their registrants here are told by the usual cancellation mail; those of other nodes by
    their node, once it learns the cancellation), and end our registrations elsewhere."""
    local_rows = session.scalars(select(RegionalSession).where(
        RegionalSession.regional_event_object_id == object_id, RegionalSession.is_local.is_(True),
        RegionalSession.event_id.is_not(None)).order_by(RegionalSession.id)).all()
    for row in local_rows:
        event = session.get(Event, row.event_id)
        if event is None or event.status == "cancelled":
            continue
        # No actor: the organiser's decision, applied by the host to what it owns.
        for registration in events.cancel_event(session, None, event, moment):
            _queue_local_cancelled(session, registration)
        logger.info("session %s cancelled with its regional event", row.id)
    copies = {r.object_id: r for r in session.scalars(select(RegionalSession).where(
        RegionalSession.regional_event_object_id == object_id, RegionalSession.is_local.is_(False)))}
    if copies:
        mine = session.scalars(for_update(session, select(RemoteRegistration).where(
            RemoteRegistration.session_object_id.in_(list(copies)),
            RemoteRegistration.status.in_(ACTIVE_REMOTE)).order_by(RemoteRegistration.id))).all()
        _end_registrations(session, list(mine), copies)


# --- inbox ------------------------------------------------------------------------------------

def receive_invitation(session: Session, peer: Peer, message: dict) -> dict | None:
    """An organiser invites us to co-organise; the manager answers later."""
    content = message["content"]
    object_id = content["regional_event_id"]
    if content["organiser"] != peer.node_id or not object_id.startswith(peer.node_id + "/"):
        raise OriginMismatch("only the organiser of a regional event invites to it")
    row = regional.by_object_id(session, object_id)
    if row is None:
        row = RegionalEvent(object_id=object_id, organiser=peer.node_id, is_local=False)
        session.add(row)
    row.organiser_name = clean(content["organiser_name"])[:200]
    _copy_event_fields(row, content)
    session.flush()
    ours = regional.our_node(session)
    mine = regional.participant(session, row, ours)
    if mine is None:
        session.add(RegionalParticipant(regional_event_id=row.id, node_id=ours,
                                        name=regional.runtime_of(session).name, status="invited"))
    elif mine.status == "declined":
        mine.status, mine.answered_at = "invited", None
    session.flush()
    return None


def _invited(session: Session, peer: Peer, object_id: str) -> tuple[RegionalEvent, RegionalParticipant]:
    row = regional.by_object_id(session, object_id)
    if row is None or not row.is_local:
        raise NotFound(N_("No such regional event."))
    invitation = regional.participant(session, row, peer.node_id)
    if invitation is None:
        raise Forbidden(N_("This node was not invited."))
    return row, invitation


def receive_answer(session: Session, peer: Peer, message: dict) -> dict | None:
    """An invited node accepts or declines; the program's list of hosts follows."""
    row, invitation = _invited(session, peer, message["content"]["regional_event_id"])
    invitation.status, invitation.answered_at = message["content"]["decision"], now()
    session.flush()
    regional.publish_regional(session, row)
    return None


def receive_report(session: Session, peer: Peer, message: dict) -> dict | None:
    """A co-organiser's figures for the organiser's report (counts only)."""
    content = dict(message["content"])
    row, invitation = _invited(session, peer, content.pop("regional_event_id"))
    if invitation.status != "accepted":
        raise Forbidden(N_("Only co-organisers send figures."))
    regional.record_report(session, row, peer.node_id, content, now())
    return None


def receive_registration(session: Session, peer: Peer, message: dict) -> dict:
    """A person of ``peer`` registers for (or cancels) one of our sessions."""
    content = message["content"]
    answer, offers = remote.handle_request(session, peer.node_id, content, now())
    for registration in offers:
        if registration.registrant_kind == "local":
            record(session, SeatsOffered(registration.id))
    return answer


def receive_registration_response(session: Session, peer: Peer, message: dict) -> dict | None:
    """The host tells us a registration moved (promotion, cancellation); only the host may."""
    content = message["content"]
    row = remote.by_key(session, content["idempotency_key"], lock=True)
    if row is None or row.host != peer.node_id or row.session_object_id != content["session_id"]:
        raise Forbidden(N_("Only the host of a session answers about its registrations."))
    change = remote.apply_answer(session, row, content)
    if change is not None:
        _queue_member_mail(session, change, regional.session_by_object_id(session, row.session_object_id))
    return None


def registration_delivered(session: Session, outbox_row, answer: dict) -> None:
    """The host answered our request (possibly after retries): record the status once."""
    try:
        content = RegistrationResponseContentSchema().load(answer)
    except SchemaError:
        logger.warning("unexpected answer to %s", outbox_row.message_id)
        return
    row = remote.by_key(session, content["idempotency_key"], lock=True)
    if row is None or row.host != outbox_row.destination:
        return
    versioned = content.get("version") is not None and content.get("seq") is not None
    if not versioned and outbox_row.message_id != remote.message_id(session, row):
        return  # an answer to an older request of this registration (an older host)
    before = row.status
    change = remote.apply_answer(session, row, content)
    if change is not None:  # the session was cancelled before our request reached it
        _queue_member_mail(session, change, regional.session_by_object_id(session, row.session_object_id))
    if before == "pending" and row.status == "confirmed" and row.action == "register":
        _count_our_seat(session, row, outbox_row.created_at)


def _count_our_seat(session: Session, row: RemoteRegistration, asked_at) -> None:
    """The host gave us a seat: our copy of the session shows one seat fewer until the host's
    next feed item brings its own figure. Only when the copy is older than our request: a copy
    written after it may already count us (the host's item replaces ours either way)."""
    copy = session.scalar(for_update(session, select(RegionalSession).where(
        RegionalSession.object_id == row.session_object_id)))
    if copy is None or copy.is_local or copy.seats_left is None:
        return
    if _aware(copy.updated_at) >= _aware(asked_at):
        return
    copy.seats_left = max(copy.seats_left - 1, 0)
    session.flush()


def receive_registration_digest(session: Session, peer: Peer, message: dict) -> dict | None:
    """The host's state of our people's registrations to its upcoming sessions: each of ours
    converges to it (unless our newer action is on its way), and a member whose registration
    moved (a promotion, a cancellation) is told. Entries about keys we do not hold for that
    host are ignored."""
    for entry in message["content"]["registrations"]:
        row = remote.by_key(session, entry["idempotency_key"], lock=True)
        if row is None or row.host != peer.node_id or row.session_object_id != entry["session_id"]:
            continue
        change = remote.apply_answer(session, row, entry, authoritative=True)
        if change is not None:
            _queue_member_mail(session, change, regional.session_by_object_id(session, row.session_object_id))
    return None


def registration_undeliverable(session: Session, outbox_row, reason: str) -> None:
    """Our latest registration or cancellation never reached the host before the session
    started (or was refused for good): the member's view says so and they are told."""
    content = json.loads(outbox_row.content_json)
    row = remote.by_key(session, content["idempotency_key"], lock=True)
    if row is None or not remote.mark_undelivered(session, row, outbox_row.message_id):
        return
    member = session.get(Member, row.member_id)
    copy = regional.session_by_object_id(session, row.session_object_id)
    if member is None or copy is None:
        return
    kind = "cancellation.undelivered" if row.action == "cancel" else "registration.undelivered"
    notify(session, member, kind, link="/regional/mine",
           params={"title": copy.title, "space": copy.host_name or copy.host,
                   "starts_at": _aware(copy.starts_at), "tz": copy.timezone},
           dedupe_key=f"undelivered:{outbox_row.message_id}")


def host_answer_undeliverable(session: Session, outbox_row, reason: str) -> None:
    """A host's answer or digest that never reached the registrant's node: nobody here to
    tell; the next digest to that node carries the state when it is back."""
    if outbox_row.message_type == remote.RESPONSE:
        content = json.loads(outbox_row.content_json)
        state = session.scalar(select(RemoteKeyState).where(
            RemoteKeyState.origin == outbox_row.destination,
            RemoteKeyState.idempotency_key == content["idempotency_key"]))
        if state is not None:
            state.digest_pending = True


def send_digests(session: Session, moment: datetime) -> int:
    """Host side, each scheduler round: to each approved peer whose people's registrations
    changed here since its last digest, one signed ``registration.digest`` (to that peer
    only: its own people's keys, statuses and positions) with the state of all of them for
    our sessions not started yet. A digest still waiting for that peer is replaced, never
    queued twice. Returns how many were queued."""
    origins = session.scalars(select(RemoteKeyState.origin).where(
        RemoteKeyState.digest_pending.is_(True)).distinct()).all()
    sent = 0
    for origin in sorted(origins):
        peer = session.scalar(select(Peer).where(Peer.node_id == origin))
        if peer is None or not peer.is_approved:
            continue
        entries = remote.digest_for(session, origin, moment)
        # A digest still waiting is replaced; one being sent right now (claimed) is left alone.
        session.execute(delete(OutboxMessage).where(
            OutboxMessage.destination == origin, OutboxMessage.message_type == remote.DIGEST,
            OutboxMessage.status == DELIVERY_PENDING,
            or_(OutboxMessage.claimed_until_ms.is_(None), OutboxMessage.claimed_until_ms < now_ms()),
        ).execution_options(synchronize_session=False))
        remote.clear_digest_marks(session, origin)
        if entries:
            federation_hooks.send_inbox_message(
                session, origin, remote.DIGEST, {"registrations": entries}, deliver_now=True,
                deliver_until_ms=int(moment.timestamp() * 1000) + DIGEST_DELIVERY_MS)
            sent += 1
    session.flush()
    return sent


def register(registry: HandlerRegistry) -> None:
    """Joint regional events: copies of peers' events and sessions, invitations, answers and
    reports, and registrations to sessions hosted elsewhere (both ways)."""
    registry.on_feed_item(EVENT_REGIONAL, apply_regional)
    registry.on_feed_item(EVENT_SESSION, apply_session)
    registry.on_inbox_message(regional.INVITATION, receive_invitation)
    registry.on_inbox_message(regional.ANSWER, receive_answer)
    registry.on_inbox_message(regional.REPORT, receive_report)
    registry.on_inbox_message(remote.REQUEST, receive_registration)
    registry.on_inbox_message(remote.RESPONSE, receive_registration_response)
    registry.on_inbox_message(remote.DIGEST, receive_registration_digest)
    registry.on_delivered(remote.REQUEST, registration_delivered)
    registry.on_undeliverable(remote.REQUEST, registration_undeliverable)
    registry.on_undeliverable(remote.RESPONSE, host_answer_undeliverable)
    registry.on_undeliverable(remote.DIGEST, host_answer_undeliverable)
    for manager_message in (regional.INVITATION, regional.ANSWER, regional.REPORT):
        registry.on_undeliverable(manager_message, tell_managers_undeliverable)


# --- mails to our members ---------------------------------------------------------------------

def _program_link(session: Session, row: RegionalSession) -> str:
    week = regional.by_object_id(session, row.regional_event_object_id)
    return "/regional/mine" if week is None else f"/regional/{week.id}#session-{row.id}"


def _notice(**values) -> dict:
    """What a ``node.notices.event_mail.SessionNotice`` holds, as JSON (moments in ISO 8601)."""
    return {name: value.isoformat() if isinstance(value, datetime) else value
            for name, value in values.items()}


def _queue_notice(session: Session, kind: str, registration: RemoteRegistration, row: RegionalSession, *,
                  before_starts_at: datetime | None = None) -> None:
    """Keep what to tell the member (our own data and our copy of the session only); it is
    mailed after the commit, forgotten on rollback."""
    member = session.get(Member, registration.member_id)
    if member is None or not member.is_active:
        return
    record(session, SessionNoticeQueued(_notice(
        kind=kind, email=member.email, name=member.display_name, locale=member.locale,
        title=row.title, space=row.host_name or row.host, starts_at=_aware(row.starts_at),
        timezone=row.timezone, place=remote.place_of(row), link=_program_link(session, row),
        before_starts_at=before_starts_at)))


def _queue_local_cancelled(session: Session, registration: Registration) -> None:
    """One of our own members registered for a session we host, cancelled with its regional
    event: the events area's cancellation mail, mailed after the commit."""
    if not registrations.is_mailed_here(session, registration):
        return
    member = session.get(Member, registration.member_id)
    event, occurrence = registration.event, registration.occurrence
    record(session, SessionNoticeQueued(_notice(
        kind="cancelled_here", email=registration.email, name=registration.display_name,
        locale=member.locale, title=event.title, space="", starts_at=_aware(occurrence.start_at),
        timezone=event.timezone, link=f"/events/{event.id}")))


def _queue_member_mail(session: Session, change: remote.StatusChange, row: RegionalSession | None) -> None:
    """A registration of ours moved because of its host: a promotion or a cancellation."""
    if row is None:
        return
    if change.promoted:
        _queue_notice(session, "promoted", change.registration, row)
    elif change.cancelled_by_host:
        _queue_notice(session, "cancelled", change.registration, row)


# --- upkeep after each commit -----------------------------------------------------------------

def _waitlist_moved(session: Session, registration_ids: set[int]) -> int:
    """Registrations that left the waitlist or took a seat (a cancellation, a promotion) move
    the waitlisted people behind them: each remote one's key gets a new host sequence, so the
    digest sent now brings their node the position they hold (not the one told earlier).
    Returns how many keys were marked."""
    occurrences = set()
    for registration_id in registration_ids:
        registration = session.get(Registration, registration_id)
        if registration is not None and registration.status != "waitlisted":
            occurrences.add((registration.occurrence_id, registration.event_id))
    marked = 0
    for occurrence_id, event_id in sorted(occurrences):
        row = session.scalar(select(RegionalSession).where(
            RegionalSession.event_id == event_id, RegionalSession.is_local.is_(True)))
        if row is None:
            continue
        for waiting in session.scalars(select(Registration).where(
                Registration.occurrence_id == occurrence_id, Registration.status == "waitlisted",
                Registration.registrant_kind == "remote")):
            remote.note_change(remote.key_state(session, waiting.remote_node_id, waiting.remote_ref,
                                                row.object_id))
            marked += 1
    return marked


def _tell_remote(session: Session, registration_ids: set[int], moment: datetime) -> None:
    for registration_id in sorted(registration_ids):
        registration = session.get(Registration, registration_id)
        if registration is None or registration.registrant_kind != "remote":
            continue
        row = session.scalar(select(RegionalSession).where(
            RegionalSession.event_id == registration.event_id, RegionalSession.is_local.is_(True)))
        if row is None:
            continue
        if registration.status == "offered":  # they asked for it: confirmed at once
            registrations.confirm_offer(session, registration, moment)
        state = remote.key_state(session, registration.remote_node_id, registration.remote_ref,
                                 row.object_id)
        remote.note_change(state)
        federation_hooks.send_inbox_message(
            session, registration.remote_node_id, remote.RESPONSE,
            remote.answer_for(session, registration, row.object_id, registration.remote_ref, state),
            deliver_now=True, deliver_until_ms=int(_aware(row.starts_at).timestamp() * 1000))


def _republish(session: Session, event_ids: set[int], moment: datetime) -> None:
    """Publish our sessions whose event changed; when one is cancelled (here or in the events
    admin), its remote registrations are cancelled too, so their nodes are told."""
    if not event_ids:
        return
    rows = session.scalars(select(RegionalSession).where(
        RegionalSession.event_id.in_(event_ids), RegionalSession.is_local.is_(True))).all()
    for row in rows:
        if not regional.mirror_event(session, row):
            continue
        regional.publish_session(session, row)
        if row.status == "cancelled":
            # Every registration ends with it (here and elsewhere; nobody is promoted any more).
            for registration in session.scalars(select(Registration).where(
                    Registration.event_id == row.event_id, Registration.status.in_(registrations.ACTIVE))):
                registration.status, registration.cancelled_at = "cancelled", moment
                record(session, RegistrationChanged(registration.id, registration.event_id))


def upkeep(session: Session, events: list, ctx: WorkContext) -> None:
    """Reaction to events, registrations and joint events that changed: cancel what a
    cancelled joint event held, tell remote registrants whose registration moved (not those
    who moved it themselves: they have their answer), republish our sessions of the events
    that changed. What this changes records events of its own, followed up the same way."""
    moment = ctx.now
    for object_id in sorted({e.object_id for e in events if isinstance(e, RegionalEventCancelled)}):
        _cancel_week(session, object_id, moment)
    session.flush()
    _tell_remote(session, {e.registration_id for e in events
                           if isinstance(e, RegistrationChanged) and not e.by_registrant}, moment)
    session.flush()
    if _waitlist_moved(session, {e.registration_id for e in events if isinstance(e, RegistrationChanged)}):
        send_digests(session, moment)
    session.flush()
    _republish(session, {e.event_id for e in events
                         if isinstance(e, EventChanged | RegistrationChanged) and e.event_id}, moment)
    session.flush()


def register_reactions(reactions: Reactions) -> None:
    reactions.on((EventChanged, RegistrationChanged, RegionalEventCancelled), "regional.upkeep",
                 upkeep)
