"""The demo's network pass: the first demo space and each other one agree on 2 days a month
each way, so that every member of a demo space has "Mon pass réseau" to show at the others.

At seed time the nodes do not serve yet: the offer and the answer are played in-process with
the very handler the inbox would call (the queued messages, delivered once the nodes serve,
change nothing: the same offer and answer again)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

from ..db import db
from ..federation import peers
from ..passes import agreements
from .base import DemoNode

logger = logging.getLogger(__name__)


def seed_passes(nodes: list[DemoNode], _seed: dict) -> None:
    if len(nodes) < 2:
        return
    first, today = nodes[0], datetime.now(UTC).date()
    for other in nodes[1:]:
        with first.app.app_context():
            session = db.session
            if any(a.peer_node_id == other.url for a in agreements.list_agreements(session)):
                continue  # seeded before: building the demo again adds nothing
            offer = agreements.offer(session, peers.find_peer(session, other.url),
                                     offerer_members_days=2, answerer_members_days=2, pool_days=None,
                                     valid_from=today - timedelta(days=1), valid_until=None)
            session.commit()
            message, agreement_id = json.loads(offer.offer_json), offer.agreement_id
        with other.app.app_context():
            session = db.session
            agreements.receive(session, peers.find_peer(session, first.url), message)
            row = session.scalar(agreements.select(agreements.PassAgreement).where(
                agreements.PassAgreement.agreement_id == agreement_id))
            agreements.answer(session, row, True)
            session.commit()
        with first.app.app_context():
            session = db.session
            agreements.receive(session, peers.find_peer(session, other.url), {"content": {
                "agreement_id": agreement_id, "action": "accept", "terms": message["content"]["terms"]}})
            session.commit()
        logger.info("demo: %s and %s agree on 2 pass days a month", first.slug, other.slug)
