"""The demo's network directory: once the spaces are peers, each exports its opted-in members'
anonymised entries. Peers receive them at the first sync round; each round then re-applies
the rare-skill rule with the copies received (so a lone accountant of Aix can be shared at
region level once Marseille's accountants are known there)."""

from __future__ import annotations

import logging

from ..db import db
from ..network import export as network_export
from ..network.settings import NetworkSettings
from .base import DemoNode

logger = logging.getLogger(__name__)


def export_directories(nodes: list[DemoNode], _data: dict) -> None:
    """Seed step (after peering): publish every node's directory entries to its peers."""
    for node in nodes:
        settings = NetworkSettings.from_config(node.app.config)
        if settings is None:
            continue
        with node.app.app_context():
            report = network_export.sync_exports(db.session, settings)
            db.session.commit()
            logger.info("%s: %d directory entries published", node.slug, report.published)
