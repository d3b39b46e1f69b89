"""The demo's federation step: three nodes peered out of band, then syncing over HTTP."""

from __future__ import annotations

from node.demo import SEED_STEPS, SERVE_STEPS, DemoNode
from node.demo.federation import peer_demo_nodes, start_sync
from node.federation import peers
from node.federation.models import APPROVED

from .helpers import EVENT, copies, event_content, recording_handler, replace_handler


def test_demo_nodes_are_peered_and_sync(live_nodes, monkeypatch):
    assert peer_demo_nodes in SEED_STEPS and start_sync in SERVE_STEPS
    replace_handler(monkeypatch, "feed", EVENT, recording_handler([]))
    a, b, c = live_nodes(3, names=["marseille", "aix", "fontainebleau"])
    demo_nodes = [DemoNode(n.name, {"slug": n.name}, n.app) for n in (a, b, c)]
    peer_demo_nodes(demo_nodes, {})
    peer_demo_nodes(demo_nodes, {})  # idempotent: build_nodes runs on every `make demo`
    for node in (a, b, c):
        with node.session() as session:
            rows = peers.list_peers(session)
            assert len(rows) == 2 and {p.status for p in rows} == {APPROVED}
            assert all(p.pinned_key_id for p in rows)
    a.publish(EVENT, "event/1", event_content(a.url))
    assert all(r.error is None for r in b.round().results)
    assert all(r.error is None for r in c.round().results)
    assert set(copies(b, a)) == set(copies(c, a)) == {f"{a.url}/event/1"}
