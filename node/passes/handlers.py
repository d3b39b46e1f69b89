"""The network pass over the federation: agreements and visit records in the inbox,
revocations on the feed."""

from __future__ import annotations

from sqlalchemy.orm import Session

from schemas.federation import PASS_AGREEMENT, PASS_REVOCATION, PASS_VISIT

from ..federation.inbox import tell_managers_undeliverable
from ..federation.registry import HandlerRegistry
from . import agreements, revocations, visits


def _on_agreement(session: Session, peer, message: dict) -> dict | None:
    agreements.receive(session, peer, message)
    return None


def _on_visit(session: Session, peer, message: dict) -> dict | None:
    visits.receive_visit(session, peer, message["content"])
    return None


def visit_quota(content: dict, config) -> tuple[str, int, int, str]:
    """One peer's visit records per day (a host's front desk, not a flood)."""
    return ("pass.visit", int(config["FEDERATION_PASS_VISITS_PER_PEER_DAY"]), 86_400_000,
            "visit records")


def register(registry: HandlerRegistry) -> None:
    """Visiting agreements, visit records and pass revocations."""
    registry.on_inbox_message(PASS_AGREEMENT, _on_agreement)
    registry.on_inbox_message(PASS_VISIT, _on_visit)
    # An offer, an answer or a visit record the peer refused for good, or could not take within
    # the inbox's retention (7 days): our managers are told (the visit stays counted here).
    registry.on_undeliverable(PASS_AGREEMENT, tell_managers_undeliverable)
    registry.on_undeliverable(PASS_VISIT, tell_managers_undeliverable)
    registry.inbox_quota(PASS_VISIT, visit_quota)
    registry.on_feed_item(PASS_REVOCATION, revocations.on_revocation)
    registry.on_resync_complete(revocations.drop_peer)
