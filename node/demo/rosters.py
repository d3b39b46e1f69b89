"""Demo data of the networks: the first space founds "Réseau Sud" and puts the other demo
spaces (already its peers) on the roster; they receive it at their first sync."""

from __future__ import annotations

from ..db import db
from ..federation import peers
from ..federation.keyring import RUNTIME_INFO_KEY
from ..rosters import rosters
from .base import DemoNode


def seed_networks(nodes: list[DemoNode], _data: dict) -> None:
    """Seed step (after peering): a network coordinated by the first node, every demo node on it."""
    founder = nodes[0]
    runtime = founder.app.extensions[RUNTIME_INFO_KEY]
    with founder.app.app_context():
        session = db.session
        if rosters.list_networks(session):
            return  # seeded already
        network = rosters.create_network(
            session, runtime, slug="sud", name="Réseau Sud",
            description="Les espaces de coworking de Marseille, Aix et alentours.",
            charter="Nous partageons nos compétences, nos évènements et nos places.")
        for other in nodes[1:]:
            peer = peers.get_peer(session, other.app.extensions[RUNTIME_INFO_KEY].node_id)
            if peer is not None:
                rosters.add_member(session, runtime, network, peer)
        session.commit()
