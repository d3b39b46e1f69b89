"""The demo seeds a visiting agreement between the first space and each other: a member of the
first space has a pass to show, and building the demo again adds no second agreement."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from node.db import db
from node.demo import build_nodes
from node.models import PassAgreement
from tests.conftest import PG_URL, PortalClient


@pytest.mark.skipif(bool(PG_URL), reason="the demo runs on embedded SQLite only")
def test_demo_members_have_a_network_pass(tmp_path, monkeypatch):
    monkeypatch.setenv("COWORKNET_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("COWORKNET_ARGON2_MEMORY_COST", "16")
    nodes, data = build_nodes(tmp_path / "demo")
    for node in nodes:
        with db.new_session(node.app) as session:
            statuses = list(session.scalars(select(PassAgreement.status)))
        assert statuses == (["active", "active"] if node is nodes[0] else ["active"])
    member = PortalClient(nodes[0].app.test_client())
    assert member.login(nodes[0].spec["members"][0]["email"], data["member_password"]).status_code == 302
    assert 'data-testid="pass-code"' in member.get("/pass").get_data(as_text=True)
    again, _ = build_nodes(tmp_path / "demo")
    with db.new_session(again[0].app) as session:
        assert len(list(session.scalars(select(PassAgreement)))) == 2
