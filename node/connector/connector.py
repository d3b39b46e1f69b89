"""The manager's connector queue: needs, introduction requests and requests escalated by
peers, with states, suggested matches, consent of candidates and measured response times.

Network escalation sends an anonymised ``connector.request`` (the need's concepts, a message
the manager reviewed, and only the name of our space) to approved peers. A peer's manager
proposes one of its members; only once that member consents does a ``connector.response``
with their name and e-mail come back. A refusal sends nothing: silence and refusal look alike.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from ..errors import N_, Conflict, Forbidden, NotFound, ValidationError
from ..members.models import Member, MemberSkill, MemberStatus
from ..members.thesaurus import get_thesaurus
from ..network.models import NetworkEntry, NetworkEntryConcept
from ..notifications.operations import notify, notify_managers
from ..orm import utcnow
from .models import QUEUE_STATES, Candidate, Need, NetworkAnswer, QueueItem

logger = logging.getLogger(__name__)

__all__ = ["QUEUE_STATES"]

OPEN_STATES = ("new", "matched", "introduced")
CLOSED_STATES = ("done", "no_match")
LEVELS = ("debutant", "confirme", "expert")
#: Phrasing of a request ("je cherche", "looking for") that would otherwise match concepts
#: such as research.
_REQUEST_WORDS = re.compile(
    r"\b(je\s+cherche|on\s+cherche|nous\s+cherchons|cherche|recherche|besoin\s+d[e']?|"
    r"looking\s+for|i\s+need|we\s+need|need)\b", re.IGNORECASE,
)


def concepts_of(text: str) -> list[str]:
    """The thesaurus concepts a free-text request names (sorted, for stable storage)."""
    return list(_concepts(text))


@lru_cache(maxsize=4096)
def _concepts(text: str) -> tuple[str, ...]:
    # The thesaurus is fixed for the process: the digest asks again for every member.
    return tuple(sorted(get_thesaurus().expand_query(_REQUEST_WORDS.sub(" ", text)).concept_ids))


def matching_members(session: Session, concept_ids: list[str], *, exclude: set[int] = frozenset(),
                     limit: int = 5) -> list[Member]:
    """Active members holding one of ``concept_ids``; more matches and higher levels first."""
    if not concept_ids:
        return []
    rows = session.execute(
        select(MemberSkill.member_id, MemberSkill.level)
        .join(Member, Member.id == MemberSkill.member_id)
        .where(MemberSkill.concept_id.in_(concept_ids), Member.status == MemberStatus.ACTIVE)
    ).all()
    scores: dict[int, tuple[int, int]] = {}
    for member_id, level in rows:
        if member_id in exclude:
            continue
        hits, best = scores.get(member_id, (0, -1))
        scores[member_id] = (hits + 1, max(best, LEVELS.index(level)))
    ranked = sorted(scores, key=lambda mid: (-scores[mid][0], -scores[mid][1], mid))[:limit]
    members = {m.id: m for m in session.scalars(select(Member).where(Member.id.in_(ranked)))}
    return [members[mid] for mid in ranked]


# --- queue ----------------------------------------------------------------------------------


def enqueue_need(session: Session, need: Need) -> QueueItem:
    """Put a freshly posted need in the manager's queue."""
    item = QueueItem(kind="need", need=need, requester_id=need.author_id, text=need.text,
                     concept_ids=list(need.concept_ids))
    session.add(item)
    session.flush()
    return item


def ask_introduction(session: Session, member: Member, text: str) -> QueueItem:
    """A member tells the manager whom they look for; it lands in the queue."""
    item = QueueItem(kind="introduction", requester=member, text=text, concept_ids=concepts_of(text))
    session.add(item)
    session.flush()
    return item


def get_item(session: Session, item_id: int) -> QueueItem:
    item = session.get(QueueItem, item_id)
    if item is None:
        raise NotFound(N_("No such queue item."))
    return item


def count_open(session: Session) -> int:
    """Requests of the queue still waiting for the manager (not done, not without a match)."""
    return session.scalar(select(func.count()).select_from(QueueItem)
                          .where(QueueItem.state.not_in(CLOSED_STATES))) or 0


def list_queue(session: Session, *, state: str | None = None) -> list[QueueItem]:
    statement = select(QueueItem).options(
        selectinload(QueueItem.candidates), selectinload(QueueItem.network_answers),
        selectinload(QueueItem.requester),
    )
    if state:
        statement = statement.where(QueueItem.state == state)
    return list(session.scalars(statement.order_by(QueueItem.created_at.desc(), QueueItem.id.desc())))


def _mark_response(item: QueueItem, now: datetime | None = None) -> None:
    if item.first_response_at is None:
        item.first_response_at = now or utcnow()


def note_response(session: Session, need: Need) -> None:
    """Someone answered the need: the first response time of its queue item is taken."""
    item = session.scalar(select(QueueItem).where(QueueItem.need_id == need.id))
    if item is not None:
        _mark_response(item)
        session.flush()


def resolve_for_need(session: Session, need: Need) -> None:
    """The author closed the need: its queue item is done."""
    item = session.scalar(select(QueueItem).where(QueueItem.need_id == need.id))
    if item is not None and item.state not in CLOSED_STATES:
        _set_state(item, "done")
        session.flush()


def _set_state(item: QueueItem, state: str) -> None:
    now = utcnow()
    item.state = state
    if state != "new":
        _mark_response(item, now)
    if state in CLOSED_STATES:
        item.resolved_at = item.resolved_at or now
    else:
        item.resolved_at = None


def set_state(session: Session, item: QueueItem, state: str, note: str = "") -> QueueItem:
    """The manager moves an item to another state (with an optional note)."""
    _set_state(item, state)
    if note:
        item.note = note
    session.flush()
    return item


def suggestions(session: Session, item: QueueItem, limit: int = 5) -> list[Member]:
    """Members of the space whose skills match the item, requester and candidates left out."""
    exclude = {c.member_id for c in item.candidates}
    if item.requester_id:
        exclude.add(item.requester_id)
    if item.need is not None:
        exclude.add(item.need.author_id)
    return matching_members(session, item.concept_ids, exclude=exclude, limit=limit)


def propose_candidate(session: Session, item: QueueItem, member: Member) -> Candidate:
    """The manager proposes a member; the member is asked for consent before anything is shared."""
    if item.state in CLOSED_STATES:
        raise Conflict(N_("This request is closed."))
    if not member.is_active:
        raise ValidationError(N_("This member is not active."), fields={"member_id": ["inactive"]})
    if member.id in {item.requester_id, item.need.author_id if item.need else None}:
        raise ValidationError(N_("A member cannot be proposed for their own request."),
                              fields={"member_id": ["self"]})
    if any(c.member_id == member.id for c in item.candidates):
        raise Conflict(N_("This member is already proposed."))
    candidate = Candidate(item=item, member=member)
    session.add(candidate)
    if item.state == "new":
        _set_state(item, "matched")
    session.flush()
    notify(session, member, "candidate.proposed", link="/connector/introductions",
           params={"text": item.text[:80]})
    return candidate


def get_candidate(session: Session, candidate_id: int) -> Candidate:
    candidate = session.get(Candidate, candidate_id)
    if candidate is None:
        raise NotFound(N_("No such introduction request."))
    return candidate


def pending_consents(session: Session, member: Member) -> list[Candidate]:
    return list(session.scalars(
        select(Candidate).where(Candidate.member_id == member.id, Candidate.consent == "pending")
        .order_by(Candidate.id)
    ))


@dataclass(frozen=True)
class ConsentResult:
    candidate: Candidate
    #: For a network item, the ``connector.response`` content to send back (acceptance only;
    #: the transport side adds ``response_id`` and ``space``).
    response: dict | None = None


def decide_consent(session: Session, candidate: Candidate, member: Member, decision: str,
                   message: str = "") -> ConsentResult:
    """The candidate accepts or declines being introduced.

    For a local item acceptance marks it introduced; for a network item it returns the
    response to send to the requesting peer (the caller queues it with the transport)."""
    if candidate.member_id != member.id:
        raise Forbidden(N_("This request is not addressed to you."))
    if candidate.consent != "pending":
        raise Conflict(N_("You already answered."))
    candidate.consent, candidate.decided_at = decision, utcnow()
    item = candidate.item
    response = None
    if decision == "accepted":
        if item.state in ("new", "matched"):
            _set_state(item, "introduced")
        if item.kind == "network":
            response = {
                "request_id": item.remote_request_id,
                "display_name": member.display_name,
                "email": member.email,
                "headline": member.headline or "",
                "message": message,
            }
    session.flush()
    return ConsentResult(candidate, response)


# --- network ---------------------------------------------------------------------------------


def request_id_for(item: QueueItem, base_url: str) -> str:
    return f"{base_url.rstrip('/')}/connector/{item.id}"


def escalation_content(item: QueueItem, *, message: str, base_url: str, space_name: str) -> dict:
    """The anonymised ``connector.request`` content: concepts, the reviewed message, our space."""
    if not item.concept_ids:
        raise ValidationError(N_("This request names no skill the network could search for."),
                              fields={"message": ["no_concepts"]})
    return {
        "request_id": request_id_for(item, base_url),
        "concepts": list(item.concept_ids)[:10],
        "message": message,
        "requester": {"space": space_name},
    }


def mark_escalated(session: Session, item: QueueItem) -> None:
    """Record that the item went to the network (idempotent)."""
    if item.kind == "network":
        raise Conflict(N_("A request from another space cannot be escalated again."))
    if item.state in CLOSED_STATES:
        raise Conflict(N_("This request is closed."))
    if item.escalated_at is None:
        item.escalated_at = utcnow()
        _mark_response(item)
    session.flush()


def receive_network_request(session: Session, peer_node_id: str, content: dict) -> QueueItem:
    """A peer escalated a request to us: it joins our queue once (replays are no-ops)."""
    existing = session.scalar(
        select(QueueItem).where(QueueItem.remote_request_id == content["request_id"])
    )
    if existing is not None:
        return existing
    thesaurus = get_thesaurus()
    concept_ids = []
    for value in content["concepts"]:
        concept = thesaurus.concept(value) or thesaurus.resolve(value)
        if concept is not None and concept.id not in concept_ids:
            concept_ids.append(concept.id)
    item = QueueItem(kind="network", text=content["message"], concept_ids=concept_ids,
                     origin_peer=peer_node_id, remote_request_id=content["request_id"],
                     origin_space=content["requester"]["space"])
    session.add(item)
    session.flush()
    notify_managers(session, "connector.escalated", link=f"/admin/connector/queue/{item.id}",
                    params={"space": item.origin_space, "text": item.text[:80]})
    logger.info("network request %s queued", item.id)
    return item


def receive_network_answer(session: Session, peer_node_id: str, content: dict,
                           base_url: str) -> NetworkAnswer | None:
    """A peer sends back a consenting candidate for one of our escalated items (idempotent)."""
    prefix = f"{base_url.rstrip('/')}/connector/"
    request_id = content["request_id"]
    if not request_id.startswith(prefix) or not request_id[len(prefix):].isdigit():
        return None
    item = session.get(QueueItem, int(request_id[len(prefix):]))
    if item is None or item.escalated_at is None:
        return None
    existing = session.scalar(select(NetworkAnswer).where(NetworkAnswer.response_id == content["response_id"]))
    if existing is not None:
        return existing
    if not content["response_id"].startswith(peer_node_id.rstrip("/") + "/"):
        return None  # a peer answers only with ids it owns
    answer = NetworkAnswer(
        item=item, peer=peer_node_id, response_id=content["response_id"],
        display_name=content["display_name"], email=content["email"],
        headline=content.get("headline", ""), message=content.get("message", ""),
        space=content.get("space", ""),
    )
    session.add(answer)
    if item.state == "new":
        _set_state(item, "matched")
    _mark_response(item)
    session.flush()
    author = item.need.author if item.need is not None else item.requester
    if author is not None:  # the answer reaches the member who asked, with the consented contact
        notify(session, author, "network.answered",
               link=f"/connector/needs/{item.need.id}" if item.need is not None else "/connector/referrals",
               params={"name": answer.display_name, "space": answer.space or peer_node_id,
                       "email": answer.email, "text": (item.need.text if item.need else item.text)[:80]})
    return answer


def _local_candidate(session: Session, response_id: str, node_id: str) -> Candidate | None:
    prefix = f"{node_id.rstrip('/')}/connector/response/"
    if not response_id.startswith(prefix) or not response_id[len(prefix):].isdigit():
        return None
    return session.get(Candidate, int(response_id[len(prefix):]))


def receive_deal(session: Session, peer_node_id: str, content: dict, node_id: str) -> Candidate | None:
    """The requesting space declares the value of a deal with one of our members (who must
    then confirm it). Only the space that escalated the item may; replays change nothing."""
    candidate = _local_candidate(session, content["response_id"], node_id)
    if (candidate is None or candidate.item.origin_peer != peer_node_id or candidate.consent != "accepted"
            or content["status"] != "declared" or not content["deal_id"].startswith(peer_node_id.rstrip("/") + "/")):
        return None
    if candidate.deal_confirmed_at is None:
        candidate.deal_id, candidate.deal_cents = content["deal_id"], content["amount_cents"]
        session.flush()
    return candidate


def pending_deals(session: Session, member: Member) -> list[Candidate]:
    return list(session.scalars(
        select(Candidate).where(Candidate.member_id == member.id, Candidate.deal_cents.is_not(None),
                                Candidate.deal_confirmed_at.is_(None)).order_by(Candidate.id)
    ))


def confirm_deal(session: Session, candidate: Candidate, member: Member, node_id: str) -> dict:
    """Our member confirms the value the other space declared; returns the content to send back."""
    if candidate.member_id != member.id:
        raise Forbidden(N_("This request is not addressed to you."))
    if candidate.deal_cents is None:
        raise Conflict(N_("No value has been declared."))
    if candidate.deal_confirmed_at is not None:
        raise Conflict(N_("The value is already confirmed."))
    candidate.deal_confirmed_at = utcnow()
    session.flush()
    return {"response_id": f"{node_id.rstrip('/')}/connector/response/{candidate.id}",
            "deal_id": candidate.deal_id, "amount_cents": candidate.deal_cents, "status": "confirmed"}


# --- response times ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ResponseTimes:
    items: int
    responded: int
    resolved: int
    median_first_response: timedelta | None
    median_resolution: timedelta | None


def _median(values: list[timedelta]) -> timedelta | None:
    if not values:
        return None
    values = sorted(values)
    middle = len(values) // 2
    if len(values) % 2:
        return values[middle]
    return (values[middle - 1] + values[middle]) / 2


def response_times(session: Session, since: datetime | None = None) -> ResponseTimes:
    """Median time to a first response and to resolution over the queue."""
    statement = select(QueueItem)
    if since is not None:
        statement = statement.where(QueueItem.created_at >= since)
    items = list(session.scalars(statement))
    first = [i.first_response_at - i.created_at for i in items if i.first_response_at]
    resolved = [i.resolved_at - i.created_at for i in items if i.resolved_at]
    return ResponseTimes(len(items), len(first), len(resolved), _median(first), _median(resolved))


@dataclass(frozen=True)
class NetworkSuggestion:
    owner: str
    label: str  # the name when the member chose to be named, else their pseudonym
    place: str
    concepts: list[str]


def network_suggestions(session: Session, item: QueueItem, limit: int = 5) -> list[NetworkSuggestion]:
    """Matching entries of the network directory copy (other spaces' members, pseudonymised)."""
    if not item.concept_ids:
        return []
    thesaurus = get_thesaurus()
    keys = set(item.concept_ids) | {thesaurus.label(c, "fr") for c in item.concept_ids}
    rows = session.execute(
        select(NetworkEntry, NetworkEntryConcept.concept)
        .join(NetworkEntryConcept, NetworkEntryConcept.entry_id == NetworkEntry.id)
        .where(NetworkEntryConcept.concept.in_(keys), NetworkEntry.owner.is_not(None))
        .order_by(NetworkEntryConcept.score.desc(), NetworkEntry.id).limit(limit * 4)
    ).all()
    found: dict[int, NetworkSuggestion] = {}
    for entry, concept in rows:
        if entry.id not in found and len(found) < limit:
            found[entry.id] = NetworkSuggestion(
                entry.owner, entry.display_name if entry.is_named else (entry.pseudonym or ""),
                entry.place_value, [])
        if entry.id in found:
            found[entry.id].concepts.append(concept)
    return list(found.values())
