"""The demo spaces carry connector data: € totals, segments and the membership goal."""

from __future__ import annotations

import pytest

from node.demo import build_nodes
from tests.conftest import PG_URL, PortalClient


@pytest.mark.skipif(bool(PG_URL), reason="the demo runs on embedded SQLite only")
def test_demo_spaces_show_business_totals_segments_and_goal(tmp_path, monkeypatch):
    monkeypatch.setenv("COWORKNET_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("COWORKNET_ARGON2_MEMORY_COST", "16")
    nodes, data = build_nodes(tmp_path / "demo")
    marseille = nodes[0]
    manager = PortalClient(marseille.app.test_client())
    manager.login(marseille.spec["manager"]["email"], marseille.spec["manager"]["password"])
    ledger_page = manager.get("/admin/connector/ledger").get_data(as_text=True)
    assert "12\u202f500,00\u00a0€" in ledger_page
    dashboard = manager.get("/admin/connector/engagement").get_data(as_text=True)
    for word in ("engagé", "locataire", "dormant", "occasionnel", "Objectif d’adhésion", "/ 100", "/ 60"):
        assert word in dashboard.replace("&#39;", "'"), word
    queue = manager.get("/admin/connector/queue").get_data(as_text=True)
    assert "paysagiste" in queue
    member = PortalClient(marseille.app.test_client())
    member.login(marseille.spec["members"][0]["email"], data["member_password"])
    assert "photographe pour le festival" in member.get("/connector/needs").get_data(as_text=True)  # an open need
    # seeding twice adds nothing
    again, _ = build_nodes(tmp_path / "demo")
    page = PortalClient(again[0].app.test_client())
    page.login(marseille.spec["manager"]["email"], marseille.spec["manager"]["password"])
    assert "12\u202f500,00\u00a0€" in page.get("/admin/connector/ledger").get_data(as_text=True)
