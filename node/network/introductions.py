"""Consent-gated introductions between a member and a pseudonymous expert of another space.

The requester's node sends ``introduction.request`` (with the requester's name, space and
email) to the node that owns the entry; the expert accepts (choosing whether to reveal their
email) or declines. Only an acceptance travels back (``introduction.response``). A decline
sends nothing, so a declined request, an unanswered one and one addressed to a member who left
all end the same way for the requester: "expired" after the same fixed delay.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from federation.messages import INTRODUCTION_REQUEST, INTRODUCTION_RESPONSE, make_object_id
from schemas.federation import INTRODUCTION_WITHDRAWN

from ..accounts.models import Space
from ..db import for_update
from ..errors import N_, Conflict, Forbidden, NotFound, RateLimited
from ..federation.hooks import send_inbox_message, tell_managers_undeliverable
from ..federation.keyring import runtime_of
from ..federation.models import Peer
from ..federation.registry import HandlerRegistry
from ..members.models import Member
from ..notifications.operations import notify
from ..orm import utcnow
from .models import DirectoryExport, Introduction, NetworkEntry, NetworkPreference
from .settings import SHARED_VISIBILITIES, NetworkSettings, settings_of

logger = logging.getLogger(__name__)

REQUEST_TYPE = INTRODUCTION_REQUEST
RESPONSE_TYPE = INTRODUCTION_RESPONSE
DEFAULT_SETTINGS = NetworkSettings(pseudonym_secret=b"\0" * 32)


def _settings(session: Session) -> NetworkSettings:
    return settings_of(session) or DEFAULT_SETTINGS


def visible_status(intro: Introduction, now: datetime | None = None) -> str:
    """What a member sees. A requester sees only pending, accepted, expired or withdrawn (by
    themselves); the expert also sees their own decline."""
    now = now or utcnow()
    if intro.status == "accepted":
        return "accepted"
    if intro.direction == "outgoing" and intro.status == "cancelled":
        return "withdrawn"
    if intro.direction == "incoming" and intro.status in ("declined", "cancelled"):
        return intro.status
    if intro.status == "expired" or intro.expires_at <= now:
        return "expired"
    return "pending"


# --- requester side -------------------------------------------------------------------------


def request_introduction(session: Session, requester: Member, entry_id: int, message: str,
                         concept: str = "", now: datetime | None = None) -> Introduction:
    """Queue an introduction request to the node owning a remote entry; flushes."""
    now = now or utcnow()
    settings = _settings(session)
    entry = session.get(NetworkEntry, entry_id)
    if entry is None or entry.owner is None or entry.lease_until is None or entry.lease_until < now:
        raise NotFound(N_("This search result is no longer available."))
    recent = session.scalar(select(func.count()).select_from(Introduction).where(
        Introduction.direction == "outgoing", Introduction.member_id == requester.id,
        Introduction.created_at >= now - timedelta(days=1),
    ))
    if recent >= settings.introductions_per_day:
        raise RateLimited(N_("You sent many introduction requests today. Please try again tomorrow."))
    duplicate = session.scalar(select(Introduction).where(
        Introduction.direction == "outgoing", Introduction.member_id == requester.id,
        Introduction.peer_node_id == entry.owner, Introduction.pseudonym == entry.pseudonym,
        Introduction.status == "pending", Introduction.expires_at > now,
    ))
    if duplicate is not None:
        raise Conflict(N_("You already asked for this introduction."))
    runtime = runtime_of(session)
    space = session.scalar(select(Space).limit(1))
    request_uid = make_object_id(runtime.node_id, f"intro/{secrets.token_urlsafe(12)}")
    peer = session.scalar(select(Peer).where(Peer.node_id == entry.owner))
    intro = Introduction(
        direction="outgoing", request_uid=request_uid, peer_node_id=entry.owner,
        member_id=requester.id, pseudonym=entry.pseudonym, concept=concept[:120],
        message=message, status="pending", created_at=now,
        expires_at=now + settings.introduction_ttl,
        # Whom the requester asked, as the search showed them (anonymous until accepted).
        other_headline=(entry.display_name or entry.headline or "")[:200],
        other_space=(peer.name if peer is not None and peer.name else entry.owner)[:200],
    )
    session.add(intro)
    requester_info = {"display_name": requester.display_name[:120],
                      "space": (space.name if space else runtime.name)[:200],
                      "email": requester.email}
    if requester.headline:
        requester_info["headline"] = requester.headline[:200]
    content = {"request_id": request_uid, "pseudonym": entry.pseudonym, "message": message,
               "requester": requester_info}
    if concept:
        content["concept"] = concept[:120]
    # Retried while the request is meaningful: until it would expire anyway.
    send_inbox_message(session, entry.owner, REQUEST_TYPE, content, request_uid, deliver_now=True,
                       deliver_until_ms=int(intro.expires_at.timestamp() * 1000))
    session.flush()
    return intro


def receive_response(session: Session, peer, message: dict) -> dict:
    """An expert accepted: reveal their chosen contact to the requester. Anything else
    (a decline, a late or unknown answer) changes nothing."""
    content = message["content"]
    peer_id = getattr(peer, "node_id", peer)
    intro = session.scalar(select(Introduction).where(
        Introduction.direction == "outgoing", Introduction.request_uid == content["request_id"],
        Introduction.peer_node_id == peer_id, Introduction.pseudonym == content["pseudonym"],
    ))
    now = utcnow()
    if (intro is not None and content["decision"] == "accepted" and intro.status == "pending"
            and intro.expires_at > now):
        intro.status = "accepted"
        intro.answered_at = now
        intro.other_name = content.get("display_name", "")[:120]
        intro.other_email = content.get("email", "")[:254]
        intro.reply_message = content.get("message", "")
        session.flush()
        notify(session, session.get(Member, intro.member_id), "introduction.accepted",
               link=f"/network/introductions#sent-{intro.id}",
               params={"name": intro.other_name, "space": intro.other_space}, now=now)
    return {"status": "accepted"}


# --- expert side ----------------------------------------------------------------------------


def _expert_for(session: Session, peer_id: str, alias: str) -> Member | None:
    member = session.scalar(
        select(Member).join(DirectoryExport, DirectoryExport.member_id == Member.id)
        .where(DirectoryExport.peer_node_id == peer_id, DirectoryExport.pseudonym == alias)
    )
    if member is None or not member.is_active or member.visibility not in SHARED_VISIBILITIES:
        return None
    preference = session.get(NetworkPreference, member.id)
    if preference is not None and preference.requests_paused:
        return None
    return member


def receive_request(session: Session, peer, message: dict) -> dict:
    """Record a request for one of our members. The answer is the same whether the member
    exists, left or paused requests: nothing tells the requester which."""
    content = message["content"]
    peer_id = getattr(peer, "node_id", peer)
    now = utcnow()
    expert = _expert_for(session, peer_id, content["pseudonym"])
    exists = session.scalar(select(Introduction.id).where(
        Introduction.direction == "incoming", Introduction.peer_node_id == peer_id,
        Introduction.request_uid == content["request_id"],
    ))
    if expert is None or exists is not None:
        return {"status": "accepted"}
    requester = content["requester"]
    intro = Introduction(
        direction="incoming", request_uid=content["request_id"], peer_node_id=peer_id,
        member_id=expert.id, pseudonym=content["pseudonym"], concept=content.get("concept", ""),
        message=content["message"], status="pending", created_at=now,
        expires_at=now + _settings(session).introduction_ttl,
        other_name=requester["display_name"], other_headline=requester.get("headline", ""),
        other_space=requester["space"], other_email=requester.get("email", ""),
    )
    session.add(intro)
    session.flush()
    notify(session, expert, "introduction.received", link=f"/network/introductions#received-{intro.id}",
           params={"name": intro.other_name, "space": intro.other_space,
                   "skill": intro.concept or intro.other_headline}, now=now)
    return {"status": "accepted"}


def _incoming(session: Session, expert: Member, intro_id: int, now: datetime) -> Introduction:
    """The pending request the expert answers, locked until the answer commits: two answers at
    once (two tabs, a double submit) take turns, and the second finds it answered."""
    intro = session.scalar(for_update(session, select(Introduction).where(Introduction.id == intro_id)))
    if intro is None or intro.direction != "incoming":
        raise NotFound(N_("No such introduction request."))
    if intro.member_id != expert.id:
        raise Forbidden(N_("This introduction request is addressed to someone else."))
    if visible_status(intro, now) != "pending":
        raise Conflict(N_("This introduction request was already answered or has expired."))
    return intro


def accept_introduction(session: Session, expert: Member, intro_id: int, *, reveal_email: bool,
                        message: str = "", now: datetime | None = None) -> Introduction:
    """Accept: reveal the expert's name (and email if chosen) to the requester; flushes."""
    now = now or utcnow()
    intro = _incoming(session, expert, intro_id, now)
    intro.status, intro.answered_at = "accepted", now
    content = {"request_id": intro.request_uid, "pseudonym": intro.pseudonym,
               "decision": "accepted", "display_name": expert.display_name[:120]}
    if reveal_email:
        content["email"] = expert.email
    if message:
        content["message"] = message
    runtime = runtime_of(session)
    message_id = make_object_id(runtime.node_id, f"intro-response/{secrets.token_urlsafe(12)}")
    send_inbox_message(session, intro.peer_node_id, RESPONSE_TYPE, content, message_id,
                       deliver_now=True)
    session.flush()
    return intro


def decline_introduction(session: Session, expert: Member, intro_id: int,
                         now: datetime | None = None) -> Introduction:
    """Decline: recorded here only; the requester's request simply expires. Flushes."""
    now = now or utcnow()
    intro = _incoming(session, expert, intro_id, now)
    intro.status, intro.answered_at = "declined", now
    intro.other_email = ""
    session.flush()
    return intro


def cancel_incoming_for(session: Session, member_ids: set[int]) -> int:
    """A member left the network: their pending requests end silently (they expire for the
    requester exactly like a decline)."""
    if not member_ids:
        return 0
    result = session.execute(
        update(Introduction)
        .where(Introduction.direction == "incoming", Introduction.member_id.in_(member_ids),
               Introduction.status == "pending")
        .values(status="cancelled", other_email="")
    )
    session.flush()
    return result.rowcount or 0


def expire_introductions(session: Session, now: datetime) -> int:
    """Close pending requests past their delay; the requester's email is forgotten for every
    request that ended without an acceptance (a pending one keeps it until it is answered)."""
    result = session.execute(
        update(Introduction)
        .where(Introduction.status == "pending", Introduction.expires_at <= now)
        .values(status="expired")
    )
    # What the requester chose to share stays while the expert may still accept; it is
    # forgotten once the request ended any other way (expired, declined, cancelled).
    session.execute(
        update(Introduction)
        .where(Introduction.direction == "incoming",
               Introduction.status.not_in(("pending", "accepted")),
               Introduction.other_email != "")
        .values(other_email="")
    )
    session.flush()
    return result.rowcount or 0



# --- lists ----------------------------------------------------------------------------------


def list_for_member(session: Session, member: Member) -> tuple[list[Introduction], list[Introduction]]:
    """(requests I sent, requests I received), newest first."""
    rows = list(session.scalars(select(Introduction).where(Introduction.member_id == member.id)
                                .order_by(Introduction.created_at.desc(), Introduction.id.desc())))
    return ([r for r in rows if r.direction == "outgoing"],
            [r for r in rows if r.direction == "incoming"])


def waiting_select(member: Member, now: datetime | None = None) -> Select:
    """The statement counting the requests addressed to the member that wait for their answer."""
    return select(func.count()).select_from(Introduction).where(
        Introduction.direction == "incoming", Introduction.member_id == member.id,
        Introduction.status == "pending", Introduction.expires_at > (now or utcnow()))


def waiting_for(session: Session, member: Member, now: datetime | None = None) -> int:
    """Requests addressed to the member that wait for their answer."""
    return session.scalar(waiting_select(member, now)) or 0


def list_all(session: Session, limit: int = 200) -> list[Introduction]:
    """Every introduction of the space, for its managers."""
    return list(session.scalars(select(Introduction)
                                .order_by(Introduction.created_at.desc()).limit(limit)))


def set_requests_paused(session: Session, member: Member, paused: bool) -> NetworkPreference:
    """Pause or resume incoming introduction requests; flushes."""
    preference = session.get(NetworkPreference, member.id)
    if preference is None:
        preference = NetworkPreference(member_id=member.id)
        session.add(preference)
    preference.requests_paused = paused
    session.flush()
    return preference


def requests_paused(session: Session, member: Member) -> bool:
    preference = session.get(NetworkPreference, member.id)
    return bool(preference and preference.requests_paused)


def withdraw_introduction(session: Session, requester: Member, intro_id: int,
                          now: datetime | None = None) -> Introduction:
    """The requester takes back a request still waiting; the expert's node is told, closes it
    and forgets the requester's e-mail. Flushes."""
    intro = session.get(Introduction, intro_id)
    if intro is None or intro.direction != "outgoing" or intro.member_id != requester.id:
        raise NotFound(N_("No such introduction."))
    now = now or utcnow()
    if visible_status(intro, now) != "pending":
        raise Conflict(N_("This request is no longer waiting for an answer."))
    intro.status, intro.answered_at = "cancelled", now
    send_inbox_message(session, intro.peer_node_id, INTRODUCTION_WITHDRAWN,
                       {"request_id": intro.request_uid, "pseudonym": intro.pseudonym},
                       deliver_now=True)
    session.flush()
    return intro


def receive_withdrawn(session: Session, peer, message: dict) -> dict:
    """The requester withdrew a request made to one of our members: closed if still waiting."""
    content = message["content"]
    peer_id = getattr(peer, "node_id", peer)
    # Locked: an expert answering at this moment and the withdrawal take turns.
    intro = session.scalar(for_update(session, select(Introduction).where(
        Introduction.direction == "incoming", Introduction.peer_node_id == peer_id,
        Introduction.request_uid == content["request_id"],
        Introduction.pseudonym == content["pseudonym"])))
    if intro is not None and intro.status == "pending":
        intro.status, intro.other_email, intro.answered_at = "cancelled", "", utcnow()
        session.flush()
    return {"status": "accepted"}


def request_quota(content: dict, config) -> tuple[str, int, int, str]:
    """One peer's introduction requests to one of our members, per day (PROTOCOL §10). The
    member is the pseudonym the peer wrote to: counting per member behind it would let a
    429 tell the peer that two pseudonyms (a named entry, a fragment) are one person."""
    return (f"intro:{str(content.get('pseudonym', ''))[:64]}",
            int(config["FEDERATION_INTRODUCTIONS_PER_MEMBER_PER_PEER_DAY"]), 86_400_000,
            "introduction requests to this member")


def request_undeliverable(session: Session, outbox_row, reason: str) -> None:
    """Our member's request never reached the expert's node (down until the request would
    have expired, or refused for good): it ends as expired, and the requester is told that
    the *space* could not be reached (which says nothing about the expert)."""
    intro = session.scalar(select(Introduction).where(
        Introduction.direction == "outgoing", Introduction.request_uid == outbox_row.message_id))
    if intro is None or intro.status != "pending":
        return
    intro.status = "expired"
    session.flush()
    notify(session, session.get(Member, intro.member_id), "introduction.undelivered",
           link="/network/introductions", params={"space": intro.other_space},
           dedupe_key=f"undelivered:{outbox_row.message_id}")


def register(registry: HandlerRegistry) -> None:
    """Introduction requests and answers between nodes, and the expiry of their contact data."""
    registry.on_inbox_message(REQUEST_TYPE, receive_request)
    registry.inbox_quota(REQUEST_TYPE, request_quota)
    registry.on_inbox_message(RESPONSE_TYPE, receive_response)
    registry.on_inbox_message(INTRODUCTION_WITHDRAWN, receive_withdrawn)
    registry.on_undeliverable(REQUEST_TYPE, request_undeliverable)
    # An expert's answer or a withdrawal that cannot reach the other node: our managers are
    # told and may send it again from the peers page (PROTOCOL §7.5).
    registry.on_undeliverable(RESPONSE_TYPE, tell_managers_undeliverable)
    registry.on_undeliverable(INTRODUCTION_WITHDRAWN, tell_managers_undeliverable)
    registry.lease_expirer(expire_introductions)
