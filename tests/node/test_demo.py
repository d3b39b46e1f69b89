"""`make demo` builds three seeded spaces that serve French pages and accept the printed logins."""

from __future__ import annotations

import pytest

from node.demo import build_nodes
from tests.conftest import PG_URL, PortalClient


@pytest.mark.skipif(bool(PG_URL), reason="the demo runs on embedded SQLite only")
def test_demo_nodes_are_seeded_and_usable(tmp_path, monkeypatch):
    monkeypatch.setenv("COWORKNET_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("COWORKNET_ARGON2_MEMORY_COST", "16")
    nodes, data = build_nodes(tmp_path / "demo")
    assert [n.spec["city"] for n in nodes][:2] == ["Marseille", "Aix-en-Provence"]
    assert len({n.url for n in nodes}) == 3
    main = nodes[0]
    portal = PortalClient(main.app.test_client())
    home = portal.get("/").get_data(as_text=True)
    assert '<html lang="fr">' in home and main.spec["name"] in home
    assert portal.login(main.spec["manager"]["email"], main.spec["manager"]["password"]).status_code == 302
    assert portal.get("/admin/members").status_code == 200
    member = PortalClient(main.app.test_client())
    assert member.login(main.spec["members"][0]["email"], data["member_password"]).status_code == 302
    page = member.get("/directory?q=comptabilite").get_data(as_text=True)
    assert page.count('class="card"') >= 3
    # Every member who opted in to the network and has a known skill is shared with the peers
    # (a space of 8 opted-in members used to share none of them under the old rare-skill rule).
    from sqlalchemy import func, select

    from node.db import db
    from node.members.models import Member
    from node.network.models import DirectoryExport
    for node in nodes:
        with db.new_session(node.app) as session:
            opted = set(session.scalars(select(Member.id).where(
                Member.visibility.in_(("network_anonymous", "network_named")))))
            exported = set(session.scalars(select(func.distinct(DirectoryExport.member_id))))
        assert opted and exported == opted, node.spec["name"]
    # Building again reuses the instances: no duplicate members.
    again, _ = build_nodes(tmp_path / "demo")
    again_portal = PortalClient(again[0].app.test_client())
    again_portal.login(main.spec["manager"]["email"], main.spec["manager"]["password"])
    listing = again_portal.get("/admin/members").get_data(as_text=True)
    assert listing.count("data-member=") == len(main.spec["members"]) + 1
