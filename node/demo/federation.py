"""The demo's federation: its three local nodes peer with each other (approved, keys pinned)
at seed time, and once they serve, each syncs at once and then every ``SYNC_INTERVAL`` s.

Each round also runs the node's due periodic jobs, as ``coworknet sync`` does in production:
expired seat offers pass to the next person, statistics are published to the peers, the
digest goes out on Monday mornings (``node.federation.jobs``)."""

from __future__ import annotations

import logging
import threading

from ..db import db
from ..federation import keyring, peers, scheduler
from ..federation.keyring import RUNTIME_INFO_KEY
from .base import DemoNode

logger = logging.getLogger(__name__)

SYNC_INTERVAL = 15.0


def peer_demo_nodes(nodes: list[DemoNode], _data: dict) -> None:
    """Seed step: every demo node knows every other one as an approved peer."""
    documents = {}
    for node in nodes:
        with node.app.app_context():
            documents[node.slug] = keyring.node_document(
                db.session, node.app.extensions[RUNTIME_INFO_KEY])
            db.session.commit()
    for node in nodes:
        runtime = node.app.extensions[RUNTIME_INFO_KEY]
        with node.app.app_context():
            for other in nodes:
                if other is not node:
                    peers.peer_out_of_band(db.session, runtime, documents[other.slug])
            db.session.commit()


def start_sync(nodes: list[DemoNode]) -> list[threading.Thread]:
    """Serve step: one background thread per node, a first round at once, then periodic
    (federation work, then the due periodic jobs)."""

    def loop(runtime: keyring.FederationRuntime) -> None:
        try:
            scheduler.run_round(runtime, force=True)
        except Exception:
            logger.exception("first federation round of %s failed", runtime.node_id)
        scheduler.run_forever(runtime, SYNC_INTERVAL)

    threads = [threading.Thread(target=loop, args=(node.app.extensions[RUNTIME_INFO_KEY],),
                                daemon=True) for node in nodes]
    for thread in threads:
        thread.start()
    return threads
