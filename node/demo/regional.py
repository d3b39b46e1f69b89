"""The demo's Coworking Week: "Semaine du coworking" organised by the first demo space with the
two others as co-organisers, two sessions hosted by each space.

At seed time the nodes do not serve yet, so the invitation handshake is played in-process with
the very handlers the inbox would call, and each node applies its peers' signed feed items as
a sync round would (verified with the peers' pinned keys). Once served, sync rounds keep the
program identical everywhere, and registrations to another space's session travel as signed
inbox messages."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from federation.canonical import canonical_loads
from federation.keys import now_ms
from federation.messages import EVENT_REGIONAL, EVENT_SESSION, verify_feed_item

from ..db import db
from ..events import events
from ..federation import keyring, peers, sync
from ..federation.keyring import RUNTIME_INFO_KEY
from ..federation.models import FeedEntry
from ..members.models import Member
from ..regional import regional
from ..regional import sync as regional_sync
from ..regional.models import RegionalEvent, RegionalParticipant
from .base import DemoNode

logger = logging.getLogger(__name__)

PARIS = ZoneInfo("Europe/Paris")
TITLE = "Semaine du coworking"
#: Per space: (day of the week, hour, title, type, capacity).
SESSIONS = [
    [(0, 9, "Petit-déjeuner d'ouverture de la Semaine", "aperitif", 30),
     (2, 14, "Atelier : facturer sans stress", "atelier", 2)],
    [(1, 10, "Atelier : trouver ses premiers clients", "atelier", 12),
     (3, 18, "Apéro des indépendants d'Aix", "cinq_a_sept", 25)],
    [(2, 9, "Formation : bien démarrer en freelance", "formation", 10),
     (4, 17, "Soirée jeux de clôture", "soiree_jeux", 20)],
]


def _manager(session) -> Member | None:
    return session.scalar(select(Member).where(Member.role == "manager").order_by(Member.id).limit(1))


def _monday(now: datetime) -> datetime:
    """The Monday at least four days away, 00:00 in Paris."""
    day = now.astimezone(PARIS).date() + timedelta(days=4)
    day += timedelta(days=(7 - day.weekday()) % 7)
    return datetime.combine(day, time(0), tzinfo=PARIS)


def _apply_feeds(nodes: list[DemoNode]) -> None:
    """Apply every node's published regional items at every other node (an in-process sync)."""
    for node in nodes:
        with node.app.app_context():
            items = [canonical_loads(e.item_json.encode("utf-8")) for e in db.session.scalars(
                select(FeedEntry).where(FeedEntry.item_type.in_((EVENT_REGIONAL, EVENT_SESSION)),
                                        FeedEntry.recipient.is_(None)).order_by(FeedEntry.seq))]
        for other in nodes:
            if other is node:
                continue
            with other.app.app_context():
                session = db.session
                runtime = other.app.extensions[RUNTIME_INFO_KEY]
                peer = peers.get_peer(session, node.url)
                lookup = keyring.lookup_for_peer(session, runtime, peer)
                for raw in items:
                    sync.apply_item(session, runtime.registry, peer, verify_feed_item(raw, peer.node_id, lookup, now_ms=now_ms()))
                session.commit()


def seed_regional(nodes: list[DemoNode], _data: dict) -> None:
    """Seed step (after peering): the Coworking Week across the three demo spaces, once."""
    if len(nodes) < 2:
        return
    organiser, *others = nodes
    now = datetime.now(UTC)
    monday = _monday(now)
    with organiser.app.app_context():
        session = db.session
        if session.scalar(select(RegionalEvent).where(RegionalEvent.is_local.is_(True)).limit(1)):
            return
        manager = _manager(session)
        if manager is None:
            return
        week = regional.create_regional(session, manager, {
            "title": TITLE, "region": "Provence", "visibility": "public", "kind": "meetup",
            "description": "Cinq jours d'ateliers, de rencontres et d'apéros dans les espaces de coworking "
                           "de Marseille et d'Aix-en-Provence. Inscrivez-vous aux sessions de tous les espaces.",
            "starts_at": monday.replace(tzinfo=None) + timedelta(hours=8),
            "ends_at": monday.replace(tzinfo=None) + timedelta(days=4, hours=22), "timezone": "Europe/Paris",
        }, now)
        for other in others:
            peer = peers.get_peer(session, other.url)
            session.add(RegionalParticipant(regional_event_id=week.id, node_id=other.url,
                                                     name=peer.name if peer else other.spec["name"],
                                                     status="accepted", invited_at=now, answered_at=now))
        session.flush()
        invitation = {**regional.regional_content(session, week), "regional_event_id": week.object_id,
                      "organiser_name": week.organiser_name}
        regional.publish_regional(session, week)
        session.commit()
    for node in others:
        with node.app.app_context():
            session = db.session
            peer = peers.get_peer(session, organiser.url)
            regional_sync.receive_invitation(session, peer, {"content": invitation})
            # The organiser already knows the answer: accepted here without a message.
            own = regional.participant(session, regional.by_object_id(session, invitation["regional_event_id"]),
                                       node.url)
            own.status, own.answered_at = "accepted", now
            session.commit()
    for node, sessions in zip(nodes, SESSIONS, strict=False):
        with node.app.app_context():
            session = db.session
            manager = _manager(session)
            week = regional.by_object_id(session, invitation["regional_event_id"])
            venues = events.list_venues(session)
            for day, hour, title, type_, capacity in sessions:
                start = monday.replace(tzinfo=None) + timedelta(days=day, hours=hour)
                regional.create_session(session, manager, week, {
                    "title": title, "type": type_, "start_at": start, "end_at": start + timedelta(hours=2),
                    "capacity": capacity, "venue_id": venues[0].id if venues else None,
                    "description": f"Une session de la {TITLE} chez {node.spec['name']}.",
                }, now)
            session.commit()
    _apply_feeds(nodes)
    logger.info("demo Coworking Week seeded")
