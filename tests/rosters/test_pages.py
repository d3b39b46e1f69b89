"""The networks pages: the manager founds a network and sees its roster; a member reads the
network's page (its spaces, its totals); the roster's item is on the feed; bad input changes
nothing."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from node.federation.models import FeedEntry
from node.rosters.models import Network


def test_the_manager_founds_a_network_and_a_member_reads_its_page(app, session, portal,
                                                                   create_member):
    create_member("boss@example.org", role="manager")
    create_member("ana@example.org", visibility="network_named")
    portal.login("boss@example.org")
    page = portal.get("/admin/networks").get_data(as_text=True)
    assert "Found a network" in page or "Fonder un réseau" in page

    answer = portal.post("/admin/networks", {"name": "Coworking Sud", "slug": "sud",
                                             "description": "Marseille et Aix",
                                             "charter": "Entraide"})
    assert answer.status_code == 302
    network = session.scalar(select(Network))
    assert network.name == "Coworking Sud" and network.version == 1 and network.is_ours
    roster = json.loads(network.members_json)
    assert [m["node_id"] for m in roster] == [app.config["BASE_URL"]]
    item = session.scalar(select(FeedEntry).where(FeedEntry.item_type == "network.roster"))
    assert json.loads(item.item_json)["content"]["network"] == network.network_id
    assert f"data-network=\"{network.network_id}\"" in portal.get(
        "/admin/networks").get_data(as_text=True)

    # The same short name again: refused, nothing changed.
    portal.post("/admin/networks", {"name": "Autre", "slug": "sud"})
    assert session.scalar(select(func.count()).select_from(Network)) == 1

    portal.post("/logout")
    portal.login("ana@example.org")
    page = portal.get(f"/networks/{network.id}").get_data(as_text=True)
    assert "Coworking Sud" in page and "data-totals" in page
    assert portal.get("/admin/networks").status_code in (302, 403)
    assert portal.get("/networks/999").status_code == 404
