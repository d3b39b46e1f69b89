"""The connector over the federation: escalation to approved peers' queues, answers of
consenting candidates, and the signed ``peer.stats`` aggregates behind network totals.

Only the transport (``node.federation.inbox``, ``feed``) talks to peers; this module builds
contents, applies what arrives (idempotently) and registers the handlers."""

from __future__ import annotations

import logging
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from federation.messages import (
    CONNECTOR_DEAL,
    CONNECTOR_REQUEST,
    CONNECTOR_RESPONSE,
    PEER_STATS,
    make_object_id,
)

from ..events.models import Event, EventOccurrence, EventStatus
from ..federation import feed, inbox
from ..federation.keyring import runtime_of
from ..federation.models import OutboxMessage
from ..federation.peers import approved_peers
from ..federation.registry import HandlerRegistry
from ..members.models import Member, MemberStatus
from ..orm import utcnow
from . import connector, engagement, ledger, siblings
from .models import QueueItem

logger = logging.getLogger(__name__)

STATS_LOCAL_ID = "stats/connector"


def node_id(session: Session) -> str:
    return runtime_of(session).node_id


def escalate(session: Session, item: QueueItem, message: str, *, space_name: str) -> int:
    """Send an anonymised request for ``item`` to every approved peer not reached yet; returns
    how many.

    The content carries the concepts, the message the manager reviewed and our space's name:
    nothing about the member. Each message id is ours and unique per peer, so a retried
    escalation is delivered once."""
    me = node_id(session)
    content = connector.escalation_content(item, message=message, base_url=me, space_name=space_name)
    connector.mark_escalated(session, item)
    ids = {peer: make_object_id(me, f"connector/request/{item.id}/{peer.id}") for peer in approved_peers(session)}
    queued = set(session.scalars(select(OutboxMessage.message_id).where(OutboxMessage.message_id.in_(ids.values()))))
    fresh = [peer for peer, message_id in ids.items() if message_id not in queued]
    for peer in fresh:  # escalating again reaches only peers approved since
        inbox.send_inbox_message(session, peer, CONNECTOR_REQUEST, content, message_id=ids[peer], deliver_now=True)
    logger.info("connector item %s escalated to %d peers", item.id, len(fresh))
    return len(fresh)


def send_response(session: Session, result: connector.ConsentResult) -> None:
    """A member consented: send their name and e-mail back to the requesting node."""
    item = result.candidate.item
    me = node_id(session)
    local_id = f"connector/response/{result.candidate.id}"
    content = dict(result.response or {})
    content["response_id"] = make_object_id(me, local_id)
    content["space"] = runtime_of(session).name
    if not content.get("message"):
        content.pop("message", None)
    if not content.get("headline"):
        content.pop("headline", None)
    inbox.send_inbox_message(session, item.origin_peer, CONNECTOR_RESPONSE, content,
                             message_id=make_object_id(me, local_id), deliver_now=True)


def _on_request(session: Session, peer, message: dict) -> dict | None:
    connector.receive_network_request(session, peer.node_id, message["content"])
    return None


def _on_response(session: Session, peer, message: dict) -> dict | None:
    connector.receive_network_answer(session, peer.node_id, message["content"], node_id(session))
    return None


def deal_id(session: Session, referral) -> str:
    return make_object_id(node_id(session), f"connector/deal/{referral.id}")


def send_deal_declaration(session: Session, referral) -> None:
    """Tell the introduced member's space the value declared here, for them to confirm."""
    content = ledger.deal_content(referral, deal_id(session, referral))
    inbox.send_inbox_message(
        session, referral.network_answer.peer, CONNECTOR_DEAL, content,
        message_id=make_object_id(node_id(session), f"connector/deal/{referral.id}/{referral.value_cents}"),
        deliver_now=True)


def send_deal_confirmation(session: Session, candidate, content: dict) -> None:
    """Our member confirmed: the requesting space may count the value."""
    inbox.send_inbox_message(
        session, candidate.item.origin_peer, CONNECTOR_DEAL, content,
        message_id=make_object_id(node_id(session), f"connector/deal-confirmed/{candidate.id}"),
        deliver_now=True)


def _on_deal(session: Session, peer, message: dict) -> dict | None:
    content = message["content"]
    if content["status"] == "declared":
        connector.receive_deal(session, peer.node_id, content, node_id(session))
    else:
        ledger.confirm_network_value(session, peer.node_id, content, lambda r: deal_id(session, r))
    return None


# --- aggregates ------------------------------------------------------------------------------


def stats_content(session: Session, today: date | None = None) -> dict:
    """This node's aggregates for the year so far: counts and sums only, and the spaces our
    manager marked as run by the same operator."""
    today = today or utcnow().date()
    totals = ledger.space_totals(session, today.year)
    board = engagement.dashboard(session, today.replace(day=1), months=1)
    members_active = session.scalar(select(func.count()).select_from(Member).where(
        Member.status == MemberStatus.ACTIVE)) or 0
    entries = session.scalar(select(func.count()).select_from(Member).where(
        Member.status == MemberStatus.ACTIVE, Member.visibility != "space")) or 0
    upcoming = session.scalar(
        select(func.count()).select_from(EventOccurrence).join(Event, Event.id == EventOccurrence.event_id)
        .where(Event.status == EventStatus.PUBLISHED, EventOccurrence.is_cancelled.is_(False),
               EventOccurrence.start_at >= utcnow())) or 0
    start, end = ledger.period_of_year(today.year, today)
    return {
        "members_active": int(members_active), "directory_entries": int(entries),
        "events_upcoming": int(upcoming), "period_start": start.isoformat(), "period_end": end.isoformat(),
        "referrals": totals.referrals, "deals_confirmed": totals.deals_confirmed,
        "business_cents": totals.business_cents, "regulars": board.regulars,
        "segments": dict(board.segments), "siblings": siblings.sibling_ids(session),
    }


def publish_stats(session: Session, today: date | None = None) -> None:
    """Publish (replace) our signed ``peer.stats`` item for every approved peer."""
    feed.publish(session, item_type=PEER_STATS, local_id=STATS_LOCAL_ID,
                 content=stats_content(session, today))


def mark_sibling(session: Session, node_id: str, sibling: bool) -> None:
    """Mark or unmark a space as run by the same operator, and republish our aggregates so
    that the other space sees our side of the agreement at its next sync."""
    siblings.set_sibling(session, node_id, sibling)
    publish_stats(session)


def _on_stats(session: Session, peer, item: dict) -> None:
    # A redacted item withdrew its figures (PROTOCOL §4.1): nothing of them is kept.
    if item.get("deleted") or item.get("redacted"):
        ledger.drop_peer_stats(session, peer.node_id)
    else:
        ledger.store_peer_stats(session, peer.node_id, item["content"])


def request_quota(content: dict, config) -> tuple[str, int, int, str]:
    """One peer's connector requests into our manager's queue, per day (PROTOCOL §10)."""
    return ("connector", int(config["FEDERATION_CONNECTOR_REQUESTS_PER_PEER_DAY"]), 86_400_000,
            "connector requests")


def register(registry: HandlerRegistry) -> None:
    """The connector between nodes: requests, answers and deals, and peers' statistics."""
    registry.on_inbox_message(CONNECTOR_REQUEST, _on_request)
    registry.inbox_quota(CONNECTOR_REQUEST, request_quota)
    registry.on_inbox_message(CONNECTOR_RESPONSE, _on_response)
    registry.on_inbox_message(CONNECTOR_DEAL, _on_deal)
    # A request, an answer or a deal that cannot reach the other node: our managers (who
    # sent the request, or answer for the member) are told and may send it again.
    for message_type in (CONNECTOR_REQUEST, CONNECTOR_RESPONSE, CONNECTOR_DEAL):
        registry.on_undeliverable(message_type, inbox.tell_managers_undeliverable)
    registry.on_feed_item(PEER_STATS, _on_stats)
