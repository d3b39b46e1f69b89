"""Cross-node registration to the sessions of a regional event.

Member side (node A): a member registers for a session hosted by node B; A keeps a
``RemoteRegistration`` (``pending`` until B answers) and queues a signed
``registration.request`` with only what the member chose to share (the display name, and the
email only when they tick the box). The durable outbox retries with backoff while B is down;
every retry and the later cancellation carry the same ``idempotency_key``, so B never holds
two registrations for one (session, node, member).

Host side (node B): the request goes through the events area's ``register`` /
``cancel_registration``, the same capacity and waitlist code as a local member's.

Ordering and convergence (docs/PROTOCOL.md §6.2, §7.5): each action on one registration
(register, cancel, register again) carries a ``version``, our ``attempt``; the host applies an
action only if its version is above the last one it applied for the key (a stale one gets the
current state), under the occurrence's seat lock for cancel as for register, and remembers a
cancel for a key it never saw as a tombstone (``RemoteKeyState`` without a registration), so
an older register arriving later takes no seat. Every answer carries the version applied and
the host's ``seq`` of changes for the key: we apply it only if it is about our latest action
and newer than what we hold, so a replayed stored answer or a late one never overrides a
promotion. The host also sends each peer a digest of its people's registrations
(``registration.digest``) after changes, which brings our view back to its truth after any
lost message.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from federation.messages import (
    REGISTRATION_DIGEST,
    REGISTRATION_REQUEST,
    REGISTRATION_RESPONSE,
    make_object_id,
)

from ..db import for_update
from ..errors import N_, Conflict, DomainError, Forbidden, NotFound
from ..events import dates, registrations
from ..events.models import Event, Registration
from ..federation import hooks as federation_hooks
from ..federation.keyring import runtime_of
from ..federation.rate_limits import note_throttled
from ..members.models import Member
from . import regional
from .models import RegionalSession, RemoteKeyState, RemoteRegistration

logger = logging.getLogger(__name__)

REQUEST = REGISTRATION_REQUEST
RESPONSE = REGISTRATION_RESPONSE
DIGEST = REGISTRATION_DIGEST
ACTIVE = ("pending", "confirmed", "waitlisted")
#: Events-area statuses as the protocol names them.
WIRE_STATUS = {"confirmed": "confirmed", "offered": "confirmed", "waitlisted": "waitlisted",
               "cancelled": "cancelled", "expired": "cancelled"}


# --- member side ------------------------------------------------------------------------------

def message_id(session: Session, row: RemoteRegistration) -> str:
    """The id of the latest message about ``row``: one per action, the same for its retries."""
    return make_object_id(runtime_of(session).node_id,
                          f"msg/registration/{row.idempotency_key}/{row.attempt}")


def _ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def _send(session: Session, row: RemoteRegistration, member: Member,
          copy: RegionalSession) -> None:
    """Queue our latest action on ``row`` as a new version, retried until the session starts
    (after that it means nothing: the member is told it could not reach the host)."""
    row.attempt += 1
    content = {"session_id": row.session_object_id, "idempotency_key": row.idempotency_key,
               "action": row.action, "display_name": member.display_name,
               "version": row.attempt}
    if row.share_email and row.action == "register":
        content["email"] = member.email
    session.flush()
    federation_hooks.send_inbox_message(session, row.host, REQUEST, content,
                                        message_id(session, row), deliver_now=True,
                                        deliver_until_ms=_ms(copy.starts_at))


def my_registration(session: Session, member: Member, session_object_id: str, *,
                    lock: bool = False) -> RemoteRegistration | None:
    """The member's registration to a session of another node (``lock``: see :func:`by_key`)."""
    query = select(RemoteRegistration).where(RemoteRegistration.session_object_id == session_object_id,
                                             RemoteRegistration.member_id == member.id)
    return session.scalar(for_update(session, query) if lock else query)


def register_remote(session: Session, member: Member, row: RegionalSession, *,
                    share_email: bool) -> RemoteRegistration:
    """Ask the host of ``row`` for a seat; ``pending`` until it answers. Flushes."""
    if row.is_local:
        raise Conflict(N_("This session is hosted here: register on its event page."), code="local_session")
    event = regional.by_object_id(session, row.regional_event_object_id)
    if event is None or row.host not in regional.co_organisers(session, event):
        raise NotFound(N_("No such session."))
    if row.status != "scheduled" or event.status != "scheduled":
        raise Conflict(N_("This session is cancelled."), code="registration_closed")
    mine = my_registration(session, member, row.object_id, lock=True)
    if mine is not None and mine.status in ACTIVE and mine.action == "register":
        raise Conflict(N_("You are already registered."), code="already_registered")
    if mine is None:
        mine = RemoteRegistration(session_object_id=row.object_id, host=row.host, member_id=member.id,
                                  idempotency_key=secrets.token_urlsafe(18), attempt=0, host_seq=0)
        session.add(mine)
    mine.action, mine.status, mine.position, mine.share_email = "register", "pending", None, share_email
    _send(session, mine, member, row)
    logger.info("remote registration %s queued for %s", mine.id, row.host)
    return mine


def cancel_remote(session: Session, member: Member, row: RegionalSession) -> RemoteRegistration:
    """Give up a seat held at another node; ``pending`` until the host confirms. Flushes."""
    mine = my_registration(session, member, row.object_id, lock=True)
    # An undelivered action (the host was not reached in time) may have left a seat there.
    if mine is None or not ((mine.status in ACTIVE and mine.action == "register")
                            or mine.status == "undelivered"):
        raise Conflict(N_("This registration is already cancelled."), code="not_registered")
    mine.action, mine.status, mine.position = "cancel", "pending", None
    _send(session, mine, member, row)
    return mine


@dataclass(frozen=True)
class StatusChange:
    """A registration whose status moved because of the host (to tell the member)."""

    registration: RemoteRegistration
    before: str
    after: str

    @property
    def promoted(self) -> bool:
        return self.before == "waitlisted" and self.after == "confirmed"

    @property
    def cancelled_by_host(self) -> bool:
        return self.after == "cancelled" and self.before in ACTIVE


def is_stale(row: RemoteRegistration, content: dict, *, authoritative: bool = False) -> bool:
    """Whether a host's answer (or digest entry) about ``row`` is older than what we hold: about
    an older action of ours (our newer one is on its way), or not after the host sequence we
    applied last (a replayed stored answer, a late one). ``authoritative``: a digest entry
    also stands for an older action when our latest one never reached the host. Answers
    without ``version``/``seq`` (an older host) are never stale here."""
    version, seq = content.get("version"), content.get("seq")
    if version is None or seq is None:
        return False
    if version < row.attempt and not (authoritative and row.status == "undelivered"):
        return True
    return seq <= (row.host_seq or 0)


def apply_answer(session: Session, row: RemoteRegistration, content: dict, *,
                 authoritative: bool = False) -> StatusChange | None:
    """Record what the host answered (or its digest says), unless it is stale
    (:func:`is_stale`); returns the change when the member should be told (a promotion from
    the waitlist, or a cancellation by the host, also of a request it had not answered yet:
    the session was cancelled)."""
    if is_stale(row, content, authoritative=authoritative):
        return None
    status = content["status"]
    before = row.status
    versioned = content.get("version") is not None and content.get("seq") is not None
    if before == "cancelled":
        # Final until the member registers again (a new version, ``pending``): a late answer
        # about an older state (a refusal, a seat), or a host that had not learnt yet that the
        # session was cancelled here, must neither revive it nor tell them twice.
        return None
    if not versioned:
        if row.action == "cancel" and status != "cancelled":
            return None  # an answer about an older state; our cancellation is on its way
    else:
        row.host_seq = content["seq"]
        if content["version"] < row.attempt:
            # The host's truth for an action of ours that never reached it (undelivered):
            # the member's view follows what the host holds.
            row.action = "register" if status in ("confirmed", "waitlisted") else row.action
    row.status = status
    row.position = content.get("position") if status == "waitlisted" else None
    session.flush()
    if before == status:
        return None
    logger.info("remote registration %s: %s -> %s", row.id, before, status)
    if row.action == "register" and (before in ("confirmed", "waitlisted") or status == "cancelled"):
        return StatusChange(row, before, status)
    return None


def mark_undelivered(session: Session, row: RemoteRegistration, message_id_: str) -> bool:
    """Our latest action on ``row`` (message ``message_id_``) could not reach the host in time
    (or was refused for good): True when the member is to be told. An older action's
    failure changes nothing. Flushes."""
    if message_id_ != message_id(session, row) or row.status != "pending":
        return False
    row.status, row.position = "undelivered", None
    session.flush()
    return True


def end_registration(session: Session, row: RemoteRegistration) -> bool:
    """Our registration ends because its session or the whole regional event is cancelled (or
    gone); True when the member is to be told (they still wanted the seat). Flushes."""
    if row.status not in ACTIVE:
        return False
    told = row.action == "register"
    row.status, row.position = "cancelled", None
    session.flush()
    return told


def by_key(session: Session, key: str, *, lock: bool = False) -> RemoteRegistration | None:
    """The registration with this key (``lock``: locked and read afresh until the transaction
    ends, so that the member's own actions and the host's answers about them take turns: an
    answer read before the member registered again must not be written over the new request,
    and two transactions deciding whether to tell the member do not both tell them)."""
    query = select(RemoteRegistration).where(RemoteRegistration.idempotency_key == key)
    return session.scalar(for_update(session, query) if lock else query)


# --- host side --------------------------------------------------------------------------------

def _local_occurrence(session: Session, session_object_id: str) -> tuple[RegionalSession, int] | None:
    row = regional.session_by_object_id(session, session_object_id)
    if row is None or not row.is_local or row.event_id is None:
        return None
    occurrence = regional.session_occurrence(regional.local_event(session, row))
    return None if occurrence is None else (row, occurrence.id)


def key_state(session: Session, origin: str, key: str, session_id: str) -> RemoteKeyState:
    """The host's record of what it applied for ``origin``'s key (made on first sight). Read
    under the occurrence's seat lock where an action is applied."""
    state = session.scalar(select(RemoteKeyState).where(
        RemoteKeyState.origin == origin, RemoteKeyState.idempotency_key == key))
    if state is None:
        state = RemoteKeyState(origin=origin, idempotency_key=key, session_object_id=session_id,
                               version=0, seq=0, digest_pending=False)
        session.add(state)
        session.flush()
    return state


def note_change(state: RemoteKeyState) -> None:
    """The registration behind ``state`` changed here: a new host sequence, and the origin's
    digest is due."""
    state.seq = (state.seq or 0) + 1
    state.digest_pending = True


def answer_for(session: Session, registration: Registration | None, session_id: str, key: str,
               state: RemoteKeyState | None = None) -> dict:
    """The wire answer about one key: its status and waitlist position, and with ``state``
    the version applied and the host's sequence (PROTOCOL §6.2)."""
    status = WIRE_STATUS[registration.status] if registration is not None else "cancelled"
    position = registrations.waitlist_position(session, registration) if registration is not None else None
    answer = {"session_id": session_id, "idempotency_key": key, "status": status, "position": position}
    if state is not None:
        answer.update(version=state.version, seq=state.seq)
    return answer


def handle_request(session: Session, origin: str, content: dict, now: datetime) -> tuple[dict, list[Registration]]:
    """Register or cancel a person of node ``origin`` on one of our sessions, through the
    events area's capacity and waitlist code, under the occurrence's seat lock for both
    actions. An action older than the last one applied for its key changes nothing (it gets
    the current state); a cancel of a key never seen is kept as a tombstone. Returns the
    answer and the seat offers made."""
    session_id, key = content["session_id"], content["idempotency_key"]
    if not session_id.startswith(runtime_of(session).node_id + "/"):
        raise Forbidden(N_("This node does not host that session."))
    found = _local_occurrence(session, session_id)
    refused = {"session_id": session_id, "idempotency_key": key, "status": "refused", "position": None}
    if found is None:
        return refused, []
    row, occurrence_id = found
    registrations.lock_occurrence(session, occurrence_id)  # before anything is read
    state = key_state(session, origin, key, session_id)
    host_key = f"remote:{origin}:{key}"
    existing = session.scalar(select(Registration).where(
        Registration.occurrence_id == occurrence_id, Registration.idempotency_key == host_key))
    version = content.get("version")
    if version is not None and version <= state.version:
        logger.info("stale registration action (version %s, applied %s)", version, state.version)
        return answer_for(session, existing, session_id, key, state), []
    if version is not None:
        state.version = version
    note_change(state)
    week = regional.by_object_id(session, row.regional_event_object_id)
    action = content.get("action", "register")  # PROTOCOL §6.2: register when absent
    if action == "register" and (week is None or week.status != "scheduled"
                                            or row.status == "cancelled"):
        # The session or the whole regional event is cancelled: the request ends as cancelled
        # (its node tells the member so once), not as a refusal of this person.
        return {**answer_for(session, None, session_id, key, state)}, []
    if action == "cancel":
        offers: list[Registration] = []
        if existing is not None and existing.status in registrations.ACTIVE:
            offers = registrations.cancel_registration(session, existing, now)
        return answer_for(session, existing, session_id, key, state), offers
    if _over_peer_share(session, origin, occurrence_id, host_key):
        return {**refused, "version": state.version, "seq": state.seq}, []
    registrant = registrations.Registrant.remote(
        origin, key, content["display_name"], email=content.get("email"), idempotency_key=host_key)
    try:
        result = registrations.register(session, occurrence_id, registrant, now, idempotent=True)
    except DomainError as exc:
        logger.info("remote registration refused: %s", exc.code)
        return {**refused, "version": state.version, "seq": state.seq}, []
    return answer_for(session, result.registration, session_id, key, state), []


def digest_for(session: Session, origin: str, now: datetime) -> list[dict]:
    """The state of every registration of ``origin``'s people to our sessions that have not
    started yet (tombstones included), as wire answers: what ``registration.digest`` sends
    to that peer only."""
    rows = session.execute(
        select(RemoteKeyState, RegionalSession)
        .join(RegionalSession, RegionalSession.object_id == RemoteKeyState.session_object_id)
        .where(RemoteKeyState.origin == origin, RegionalSession.is_local.is_(True),
               RegionalSession.starts_at > now)
        .order_by(RemoteKeyState.id)).all()
    entries = []
    for state, copy in rows:
        registration = None
        found = _local_occurrence(session, copy.object_id)
        if found is not None:
            registration = session.scalar(select(Registration).where(
                Registration.occurrence_id == found[1],
                Registration.idempotency_key == f"remote:{origin}:{state.idempotency_key}"))
        entries.append(answer_for(session, registration, copy.object_id, state.idempotency_key,
                                  state))
    return entries


def clear_digest_marks(session: Session, origin: str) -> None:
    session.execute(update(RemoteKeyState).where(
        RemoteKeyState.origin == origin, RemoteKeyState.digest_pending.is_(True))
        .values(digest_pending=False).execution_options(synchronize_session=False))


def _over_peer_share(session: Session, origin: str, occurrence_id: int, host_key: str) -> bool:
    """Whether the people of node ``origin`` already hold their share of this session
    (``FEDERATION_SEATS_PER_PEER_PER_SESSION`` seats and waitlist places, PROTOCOL §10): a new
    registration is then refused (its retry, an idempotent one, is not) and the refusal
    counted against the peer, shown to our manager."""
    limit = int(runtime_of(session).app.config["FEDERATION_SEATS_PER_PEER_PER_SESSION"])
    held = session.scalars(select(Registration.idempotency_key).where(
        Registration.occurrence_id == occurrence_id, Registration.registrant_kind == "remote",
        Registration.remote_node_id == origin,
        Registration.status.in_(registrations.ACTIVE))).all()
    if host_key in held or len(held) < limit:
        return False
    note_throttled(session, origin, "seats and waitlist places of one session", commit=False)
    return True


# --- one view of "my registration", whoever hosts the session -----------------------------------

@dataclass(frozen=True)
class MyRegistration:
    session_id: str
    title: str
    host: str
    starts_at: datetime
    status: str
    position: int | None
    is_remote: bool
    timezone: str = "Europe/Paris"
    place: str = ""
    room: str = ""


def place_of(row: RegionalSession) -> str:
    """Room and town of a session, as shown to members."""
    return ", ".join(part for part in (row.venue_name, row.venue_city) if part and part != "-")


def room_of(row: RegionalSession) -> str:
    return "" if row.venue_name in (None, "-") else row.venue_name


def shown_status(mine: RemoteRegistration) -> str:
    """What the member is shown: a cancellation not yet applied by the host is
    ``cancel_pending`` (never "cancelled" while the host may hold the seat), and an action
    that could not reach the host in time says which one."""
    if mine.action == "cancel" and mine.status in ("pending", "undelivered"):
        return "cancel_pending" if mine.status == "pending" else "cancel_undelivered"
    return mine.status


def mine_for(session: Session, member: Member, row: RegionalSession) -> MyRegistration | None:
    """The member's registration to ``row`` (local: the events area's; remote: ours)."""
    if row.is_local:
        found = _local_occurrence(session, row.object_id)
        if found is None:
            return None
        local = registrations.member_registration(session, found[1], member)
        if local is None:
            return None
        return MyRegistration(row.object_id, row.title, row.host_name, row.starts_at, local.status,
                              registrations.waitlist_position(session, local), False, row.timezone,
                              place_of(row), room_of(row))
    mine = my_registration(session, member, row.object_id)
    if mine is None:
        return None
    status = shown_status(mine)
    return MyRegistration(row.object_id, row.title, row.host_name, row.starts_at, status, mine.position, True,
                          row.timezone, place_of(row), room_of(row))


def mine_for_all(session: Session, member: Member, rows: list[RegionalSession]) -> dict[str, MyRegistration]:
    """``{session object id: my registration}`` for a whole program, in a constant number of
    statements (the program page); the same answers as :func:`mine_for` one by one."""
    found: dict[str, MyRegistration] = {}
    remote_ids = [row.object_id for row in rows if not row.is_local]
    if remote_ids:
        mine = session.scalars(select(RemoteRegistration).where(
            RemoteRegistration.member_id == member.id, RemoteRegistration.session_object_id.in_(remote_ids)))
        by_id = {row.object_id: row for row in rows}
        for registration in mine:
            row = by_id[registration.session_object_id]
            found[row.object_id] = MyRegistration(
                row.object_id, row.title, row.host_name, row.starts_at, registration.status,
                registration.position, True, row.timezone, place_of(row), room_of(row))
    local = [row for row in rows if row.is_local and row.event_id is not None]
    if local:
        events_ = session.scalars(select(Event).where(Event.id.in_([row.event_id for row in local]))
                                  .options(selectinload(Event.occurrences))).all()
        occurrence_of = {event.id: regional.session_occurrence(event) for event in events_}
        occurrence_ids = [o.id for o in occurrence_of.values() if o is not None]
        mine_here = dates.registrations_of(session, member, occurrence_ids)
        positions = dates.waitlist_positions(session, list(mine_here.values()))
        for row in local:
            occurrence = occurrence_of.get(row.event_id)
            registration = mine_here.get(occurrence.id) if occurrence is not None else None
            if registration is not None:
                found[row.object_id] = MyRegistration(
                    row.object_id, row.title, row.host_name, row.starts_at, registration.status,
                    positions.get(registration.id), False, row.timezone, place_of(row), room_of(row))
    return found


def register_any(session: Session, member: Member, row: RegionalSession, now: datetime, *,
                 share_email: bool) -> MyRegistration:
    """Register for a session of the program: locally when we host it, else at its host."""
    if row.is_local:
        found = _local_occurrence(session, row.object_id)
        if found is None:
            raise NotFound(N_("No such session."))
        registrations.register(session, found[1], registrations.Registrant.local(member), now, viewer=member)
    else:
        register_remote(session, member, row, share_email=share_email)
    return mine_for(session, member, row)


def cancel_any(session: Session, member: Member, row: RegionalSession, now: datetime) -> tuple[MyRegistration | None, list[Registration]]:
    """Cancel my registration to a session; returns it and the local seat offers made."""
    if row.is_local:
        found = _local_occurrence(session, row.object_id)
        if found is None:
            raise NotFound(N_("No such session."))
        mine = registrations.require_member_registration(session, found[1], member)
        offers = registrations.cancel_registration(session, mine, now)
        return mine_for(session, member, row), [o for o in offers if o.registrant_kind == "local"]
    cancel_remote(session, member, row)
    return mine_for(session, member, row), []


def all_mine(session: Session, member: Member) -> list[MyRegistration]:
    """Every registration of mine to a regional session, local and remote, in time order."""
    local_rows = session.scalars(
        select(RegionalSession).join(Registration, Registration.event_id == RegionalSession.event_id)
        .where(RegionalSession.is_local.is_(True), Registration.member_id == member.id)).all()
    remote_rows = session.scalars(
        select(RegionalSession).join(RemoteRegistration,
                                     RemoteRegistration.session_object_id == RegionalSession.object_id)
        .where(RemoteRegistration.member_id == member.id)).all()
    found = [mine_for(session, member, row) for row in {*local_rows, *remote_rows}]
    return sorted((m for m in found if m is not None), key=lambda m: m.starts_at)


def next_remote(session: Session, member: Member, now: datetime, *, limit: int = 5
                ) -> list[tuple[RegionalSession, RemoteRegistration]]:
    """The member's active registrations to sessions hosted by other spaces that are not over,
    soonest first (one query; sessions at this space are the events area's registrations)."""
    return [tuple(row) for row in session.execute(
        select(RegionalSession, RemoteRegistration)
        .join(RemoteRegistration, RemoteRegistration.session_object_id == RegionalSession.object_id)
        .where(RemoteRegistration.member_id == member.id, RemoteRegistration.action == "register",
               RemoteRegistration.status.in_(("pending", "confirmed", "waitlisted")),
               RegionalSession.status == "scheduled", RegionalSession.ends_at > now)
        .order_by(RegionalSession.starts_at).limit(limit)).all()]
