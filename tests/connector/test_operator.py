"""Multi-site operator, network matches in the queue, and escalations that must be refused."""

from __future__ import annotations

from datetime import timedelta

from node.connector import connector, ledger, needs
from node.federation.models import APPROVED
from node.models import (
    FeedEntry,
    NetworkEntry,
    NetworkEntryConcept,
    OutboxMessage,
    Peer,
    QueueItem,
    SiblingNode,
)
from tests.conftest import count_rows


def test_sibling_spaces_show_side_by_side(app, portal, session, create_member, clock):
    create_member("cm@example.org", role="manager")
    year = clock.now().year
    stats = {
        "members_active": 41, "directory_entries": 12, "events_upcoming": 2,
        "period_start": f"{year}-01-01", "period_end": f"{year}-03-31", "referrals": 4,
        "deals_confirmed": 2, "business_cents": 730000, "regulars": 17,
        "segments": {"engaged": 9, "occasional": 11, "tenant": 15, "dormant": 6}}
    ledger.store_peer_stats(session, "https://aix.example", stats)
    session.add_all([Peer(node_id="https://aix.example", name="Aix", status=APPROVED),
                     Peer(node_id="https://gap.example", name="Gap", status="suspended")])
    session.commit()
    portal.login("cm@example.org")
    for stranger in ("https://unknown.example", "https://gap.example"):  # only approved peers
        answer = portal.post("/admin/connector/siblings", {"node_id": stranger, "sibling": "on"})
        assert answer.status_code == 422 and count_rows(session, SiblingNode) == 0
    page = portal.get("/admin/connector/engagement").get_data(as_text=True)
    assert "https://aix.example" in page and "730" not in page  # known, not yet a sibling
    assert portal.post("/admin/connector/siblings", {"node_id": "https://aix.example/", "sibling": "on"}).status_code == 302
    assert count_rows(session, SiblingNode) == 1
    page = portal.get("/admin/connector/engagement").get_data(as_text=True)
    assert "En attente" in page and "730" not in page  # until Aix's signed figures name us too
    ledger.store_peer_stats(session, "https://aix.example", {**stats, "siblings": [app.config["BASE_URL"]]})
    session.commit()
    page = portal.get("/admin/connector/engagement").get_data(as_text=True).replace("\u202f", " ").replace("\xa0", " ")
    assert "7 300,00 €" in page and ">41<" in page and ">15<" in page
    assert portal.post("/admin/connector/siblings", {"node_id": "https://aix.example"}).status_code == 302
    assert count_rows(session, SiblingNode) == 0
    assert portal.post("/admin/connector/siblings", {"node_id": "", "sibling": "on"}).status_code == 422
    assert count_rows(session, SiblingNode) == 0


def test_queue_suggests_matches_from_the_network_copy(portal, session, create_member, clock):
    create_member("cm@example.org", role="manager")
    alice = create_member("alice@example.org")
    need = needs.create_need(session, alice, text="Qui peut tenir ma comptabilité ?")
    entry = NetworkEntry(object_id="https://aix.example/directory/abc", owner="https://aix.example",
                         pseudonym="lccezhbravgzbmjk2gxxquszlz3q5kbw", place_kind="city",
                         place_value="Aix-en-Provence", lease_until=clock.now() + timedelta(days=7))
    session.add(entry)
    session.flush()
    session.add(NetworkEntryConcept(concept="accounting", score=3, entry_id=entry.id, level_band="expert"))
    session.commit()
    item = session.query(QueueItem).filter_by(need_id=need.id).one()
    found = connector.network_suggestions(session, item)
    assert [(s.owner, s.label, s.place) for s in found] == [
        ("https://aix.example", "lccezhbravgzbmjk2gxxquszlz3q5kbw", "Aix-en-Provence")]
    portal.login("cm@example.org")
    page = portal.get(f"/admin/connector/queue/{item.id}").get_data(as_text=True)
    assert "Aix-en-Provence" in page


def test_refused_escalations_send_nothing(client, session, create_member, api_token):
    manager = create_member("cm@example.org", role="manager")
    alice = create_member("alice@example.org")
    vague = needs.create_need(session, alice, text="Un coup de main samedi")
    session.commit()
    item = session.query(QueueItem).filter_by(need_id=vague.id).one()
    url = f"/api/v1/admin/connector/queue/{item.id}/escalate"
    assert client.post(url, headers=api_token(alice), json={"message": "x"}).status_code == 403
    assert client.post(url, headers=api_token(manager), json={"message": ""}).status_code == 422
    assert client.post(url, headers=api_token(manager), json={"message": "Aide ?", "to": "all"}).status_code == 422
    refused = client.post(url, headers=api_token(manager), json={"message": "Aide ?"})
    assert refused.status_code == 422  # no skill named: nothing the network could match
    remote = QueueItem(kind="network", text="x", concept_ids=["accounting"], origin_peer="https://aix.example",
                       remote_request_id="https://aix.example/connector/9", origin_space="Aix")
    session.add(remote)
    session.commit()
    assert client.post(f"/api/v1/admin/connector/queue/{remote.id}/escalate", headers=api_token(manager),
                       json={"message": "x"}).status_code == 409
    assert count_rows(session, OutboxMessage) == 0
    session.expire_all()
    assert session.get(QueueItem, item.id).escalated_at is None


def test_the_manager_publishes_the_aggregates(portal, session, create_member):
    create_member("cm@example.org", role="manager")
    create_member("ana@example.org", display_name="Ana Secret")
    portal.login("ana@example.org")
    assert portal.post("/admin/connector/stats").status_code == 403
    assert count_rows(session, FeedEntry) == 0
    portal.post("/logout")
    portal.login("cm@example.org")
    assert portal.post("/admin/connector/stats").status_code == 302
    entry = session.query(FeedEntry).one()
    assert entry.item_type == "peer.stats" and "Ana" not in entry.item_json and "@" not in entry.item_json
