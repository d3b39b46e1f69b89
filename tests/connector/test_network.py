"""Escalation across two real nodes over HTTP: an anonymised request reaches the peer's queue,
its manager proposes a member, nothing personal leaves before consent, the answer comes back;
per-node aggregates travel as signed ``peer.stats`` items."""

from __future__ import annotations

import json
import time

from sqlalchemy import select

from node.accounts import accounts
from node.connector import connector, ledger, needs
from node.connector.network import publish_stats
from node.members import profiles
from node.models import (
    Candidate,
    FeedCopy,
    NetworkAnswer,
    Notification,
    OutboxMessage,
    PeerStats,
    QueueItem,
    Referral,
)
from tests.conftest import MEMBER_PASSWORD, PortalClient


def _member(node, email, name, *, role="member", skills=()):
    with node.session() as session:
        member = accounts.create_member(session, node.app.extensions["coworknet.passwords"], email=email,
                                        display_name=name, password=MEMBER_PASSWORD, role=role)
        if skills:
            profiles.update_profile(session, member, {"skills": [{"label": s, "level": "expert"} for s in skills]})
        token = accounts.create_api_token(session, member, "tests")[1]
        session.commit()
        return member.id, {"Authorization": f"Bearer {token}"}


def _deliver(node, other, check, timeout=10.0):
    """Run delivery rounds of ``node`` until ``check(other session)`` holds."""
    deadline = time.monotonic() + timeout
    while True:
        node.round()
        with other.session() as session:
            result = check(session)
            if result:
                return result
        assert time.monotonic() < deadline, "message not delivered"
        time.sleep(0.1)


def _outgoing(node) -> list[str]:
    with node.session() as session:
        return [row.content_json for row in session.scalars(select(OutboxMessage))]


def test_escalation_reaches_the_peer_and_the_consenting_answer_comes_back(live_nodes):
    aix, fontainebleau = live_nodes(2, names=["aix", "fontainebleau"])
    live_nodes.peer_all()
    _, aix_manager = _member(aix, "cm@aix.example", "Inès Manager", role="manager")
    alice_id, alice = _member(aix, "alice.secret@aix.example", "Alice Secrète")
    _, fb_manager = _member(fontainebleau, "cm@fb.example", "Marc", role="manager")
    bob_id, bob = _member(fontainebleau, "bob.compta@fb.example", "Bob Comptable", skills=["comptabilité"])

    a = aix.client()
    need = a.post("/api/v1/needs", headers=alice, json={"text": "Qui peut tenir ma comptabilité ?"}).json
    with aix.session() as session:
        item_id = session.scalar(select(QueueItem.id).where(QueueItem.need_id == need["id"]))
    escalated = a.post(f"/api/v1/admin/connector/queue/{item_id}/escalate", headers=aix_manager,
                       json={"message": "Un membre cherche de l'aide en comptabilité."})
    assert escalated.status_code == 200, escalated.json
    assert escalated.json["peers"] == 1
    again = a.post(f"/api/v1/admin/connector/queue/{item_id}/escalate", headers=aix_manager,
                   json={"message": "Un membre cherche de l'aide en comptabilité."})
    assert again.status_code == 200 and again.json["peers"] == 0

    remote = _deliver(aix, fontainebleau, lambda s: s.scalar(
        select(QueueItem).where(QueueItem.kind == "network")) and s.scalar(
        select(QueueItem).where(QueueItem.kind == "network")).id)
    # nothing personal left Aix: the request carries the concepts, the message and the space
    for payload in _outgoing(aix):
        assert "Alice" not in payload and "alice" not in payload and "secret" not in payload.lower()
        content = json.loads(payload)
        assert content["requester"] == {"space": "Coworking Aix"}
        assert content["concepts"] == ["accounting"]

    f = fontainebleau.client()
    queue = f.get("/api/v1/admin/connector/queue", headers=fb_manager).json
    assert [(i["kind"], i["origin_space"], i["state"]) for i in queue] == [("network", "Coworking Aix", "new")]
    with fontainebleau.session() as session:
        item = session.get(QueueItem, remote)
        assert [m.id for m in connector.suggestions(session, item)] == [bob_id]
    proposed = f.post(f"/api/v1/admin/connector/queue/{remote}/candidates", headers=fb_manager,
                      json={"member_id": bob_id})
    assert proposed.status_code == 201
    # before consent nothing about Bob is queued for Aix
    assert not any("Bob" in p or "bob" in p for p in _outgoing(fontainebleau))
    mine = f.get("/api/v1/me/introductions", headers=bob).json
    assert [c["id"] for c in mine] == [proposed.json["id"]]
    decided = f.post(f"/api/v1/me/introductions/{mine[0]['id']}", headers=bob,
                     json={"decision": "accepted", "message": "Avec plaisir"})
    assert decided.status_code == 200 and decided.json["consent"] == "accepted"

    answer = _deliver(fontainebleau, aix, lambda s: s.scalar(select(NetworkAnswer)) and
                      (s.scalar(select(NetworkAnswer)).display_name, s.scalar(select(NetworkAnswer)).email,
                       s.scalar(select(NetworkAnswer)).space))
    assert answer == ("Bob Comptable", "bob.compta@fb.example", "Coworking Fontainebleau")
    # The answer reaches Alice herself, with the contact Bob agreed to share (not only the manager).
    with aix.session() as session:
        told = session.scalars(select(Notification).where(Notification.member_id == alice_id)).all()
        assert [(n.kind, n.link) for n in told] == [("network.answered", f"/connector/needs/{need['id']}")]
    mail = aix.app.extensions["coworknet.mail"].outbox[-1]
    assert mail.to == "alice.secret@aix.example" and "Bob Comptable (Coworking Fontainebleau)" in mail.subject
    assert "bob.compta@fb.example" in mail.body and f"/connector/needs/{need['id']}" in mail.body
    # At Fontainebleau, the manager was told of the escalated request and Bob of his proposal.
    with fontainebleau.session() as session:
        kinds = {(n.member_id, n.kind) for n in session.scalars(select(Notification))}
    assert (bob_id, "candidate.proposed") in kinds and any(k == "connector.escalated" for _m, k in kinds)
    item = a.get("/api/v1/admin/connector/queue", headers=aix_manager).json[0]
    assert item["state"] == "matched" and item["first_response_at"] and item["escalated_at"]
    assert item["network_answers"][0]["message"] == "Avec plaisir"
    # the manager introduces them and closes the item
    done = a.patch(f"/api/v1/admin/connector/queue/{item_id}", headers=aix_manager, json={"state": "introduced"})
    assert done.json["state"] == "introduced"
    assert alice_id


def test_declining_sends_nothing_back(live_nodes):
    aix, fontainebleau = live_nodes(2, names=["aix", "fontainebleau"])
    live_nodes.peer_all()
    _, aix_manager = _member(aix, "cm@aix.example", "Inès", role="manager")
    _, alice = _member(aix, "alice@aix.example", "Alice")
    _, fb_manager = _member(fontainebleau, "cm@fb.example", "Marc", role="manager")
    bob_id, bob = _member(fontainebleau, "bob@fb.example", "Bob", skills=["photographie"])
    a, f = aix.client(), fontainebleau.client()
    a.post("/api/v1/needs", headers=alice, json={"text": "Un photographe pour un reportage"})
    item_id = a.get("/api/v1/admin/connector/queue", headers=aix_manager).json[0]["id"]
    a.post(f"/api/v1/admin/connector/queue/{item_id}/escalate", headers=aix_manager, json={"message": "Photographe ?"})
    remote = _deliver(aix, fontainebleau, lambda s: s.scalar(select(QueueItem.id)))
    candidate = f.post(f"/api/v1/admin/connector/queue/{remote}/candidates", headers=fb_manager,
                       json={"member_id": bob_id}).json
    f.post(f"/api/v1/me/introductions/{candidate['id']}", headers=bob, json={"decision": "declined"})
    fontainebleau.round()
    assert _outgoing(fontainebleau) == []
    with aix.session() as session:
        assert session.scalar(select(NetworkAnswer)) is None


def test_peer_stats_carry_only_aggregates_and_feed_network_totals(live_nodes):
    aix, fontainebleau = live_nodes(2, names=["aix", "fontainebleau"])
    live_nodes.peer_all()
    with aix.session() as session:
        passwords = aix.app.extensions["coworknet.passwords"]
        x = accounts.create_member(session, passwords, email="x@aix.example", display_name="Xavier Nom",
                                   password=MEMBER_PASSWORD)
        y = accounts.create_member(session, passwords, email="y@aix.example", display_name="Yann Nom",
                                   password=MEMBER_PASSWORD)
        need = needs.create_need(session, x, text="Un site web")
        referral = ledger.create_referral(session, x, y, client="Boulangerie")
        ledger.acknowledge(session, referral, y)
        ledger.declare_value(session, referral, y, 1250000)
        ledger.confirm_value(session, referral, x)
        publish_stats(session)
        session.commit()
        assert need.id
    fontainebleau.sync()
    with fontainebleau.session() as session:
        own = ledger.space_totals(session)
        network = ledger.network_totals(session, own)
        assert (network.nodes, network.deals_confirmed, network.business_cents) == (2, 1, 1250000)
        stats = session.get(PeerStats, aix.url).content
        assert stats["members_active"] == 2 and stats["business_cents"] == 1250000
        text = json.dumps(stats) + "".join(c.item_json if hasattr(c, "item_json") else "" for c in
                                           session.scalars(select(FeedCopy)))
        assert "Xavier" not in text and "Yann" not in text and "@" not in text
    page = fontainebleau.client()
    assert page.get("/api/v1/space").status_code == 200


def test_a_network_introduction_becomes_a_referral_whose_value_counts_once_confirmed(live_nodes):
    aix, fontainebleau = live_nodes(2, names=["aix", "fontainebleau"])
    live_nodes.peer_all()
    _, aix_manager = _member(aix, "cm@aix.example", "Inès", role="manager")
    _, alice = _member(aix, "alice@aix.example", "Alice")
    _, fb_manager = _member(fontainebleau, "cm@fb.example", "Marc", role="manager")
    bob_id, bob = _member(fontainebleau, "bob@fb.example", "Bob", skills=["comptabilité"])
    a, f = aix.client(), fontainebleau.client()
    a.post("/api/v1/needs", headers=alice, json={"text": "Qui peut tenir ma comptabilité ?"})
    item_id = a.get("/api/v1/admin/connector/queue", headers=aix_manager).json[0]["id"]
    a.post(f"/api/v1/admin/connector/queue/{item_id}/escalate", headers=aix_manager, json={"message": "Compta ?"})
    remote = _deliver(aix, fontainebleau, lambda s: s.scalar(select(QueueItem.id)))
    candidate = f.post(f"/api/v1/admin/connector/queue/{remote}/candidates", headers=fb_manager,
                       json={"member_id": bob_id}).json
    f.post(f"/api/v1/me/introductions/{candidate['id']}", headers=bob, json={"decision": "accepted"})
    answer_id = _deliver(fontainebleau, aix, lambda s: s.scalar(select(NetworkAnswer.id)))

    referral = a.post(f"/api/v1/admin/connector/answers/{answer_id}/referral", headers=aix_manager)
    assert referral.status_code == 201 and referral.json["referee_name"] == "Bob (Coworking Fontainebleau)"
    assert a.post(f"/api/v1/admin/connector/answers/{answer_id}/referral", headers=aix_manager).status_code == 409
    rid = referral.json["id"]
    # the manager is not a party of the deal: the author of the need declares it
    assert a.post(f"/api/v1/referrals/{rid}/value", headers=aix_manager, json={"amount": "900"}).status_code == 403
    assert a.post(f"/api/v1/referrals/{rid}/value", headers=alice, json={"amount": "2 400,00"}).status_code == 200
    assert a.post(f"/api/v1/referrals/{rid}/confirm", headers=alice).status_code == 403
    assert a.get("/api/v1/referrals/totals", headers=alice).json["business_cents"] == 0

    deals = _deliver(aix, fontainebleau, lambda s: f.get("/api/v1/me/deals", headers=bob).json)
    assert [(d["deal_cents"], d["origin_space"]) for d in deals] == [(240000, "Coworking Aix")]
    confirmed = f.post(f"/api/v1/me/deals/{deals[0]['id']}/confirm", headers=bob)
    assert confirmed.status_code == 200
    assert f.post(f"/api/v1/me/deals/{deals[0]['id']}/confirm", headers=bob).status_code == 409

    _deliver(fontainebleau, aix, lambda s: a.get("/api/v1/referrals/totals", headers=alice).json["business_cents"])
    aix_totals = a.get("/api/v1/referrals/totals", headers=alice).json
    assert (aix_totals["business_cents"], aix_totals["deals_confirmed"]) == (240000, 1)
    fb_totals = f.get("/api/v1/referrals/totals", headers=bob).json
    assert (fb_totals["network_in_cents"], fb_totals["business_cents"]) == (240000, 0)

    # the aggregates each node publishes add up without counting the deal twice
    for node in (aix, fontainebleau):
        with node.session() as session:
            publish_stats(session)
            session.commit()
    aix.sync()
    fontainebleau.sync()
    for client, headers in ((a, alice), (f, bob)):
        totals = client.get("/api/v1/referrals/totals", headers=headers).json
        assert (totals["network_nodes"], totals["network_business_cents"]) == (2, 240000)


def test_the_whole_story_through_the_portals(live_nodes):
    aix, fontainebleau = live_nodes(2, names=["aix", "fontainebleau"])
    live_nodes.peer_all()
    _member(aix, "cm@aix.example", "Inès", role="manager")
    _member(aix, "alice@aix.example", "Alice")
    _member(fontainebleau, "cm@fb.example", "Marc", role="manager")
    bob_id, _ = _member(fontainebleau, "bob@fb.example", "Bob", skills=["photographie"])
    alice, aix_cm = PortalClient(aix.client()), PortalClient(aix.client())
    bob, fb_cm = PortalClient(fontainebleau.client()), PortalClient(fontainebleau.client())
    for portal, email in ((alice, "alice@aix.example"), (aix_cm, "cm@aix.example"),
                          (bob, "bob@fb.example"), (fb_cm, "cm@fb.example")):
        assert portal.login(email).status_code == 302
    assert alice.post("/connector/needs", {"text": "Un photographe pour un portrait", "budget": "300"}).status_code == 302
    with aix.session() as session:
        item_id = session.scalar(select(QueueItem.id))
    assert aix_cm.post(f"/admin/connector/queue/{item_id}/escalate",
                       {"message": "Un membre cherche un photographe."}).status_code == 302
    remote = _deliver(aix, fontainebleau, lambda s: s.scalar(select(QueueItem.id)))
    page = fb_cm.get(f"/admin/connector/queue/{remote}").get_data(as_text=True)
    assert "Coworking Aix" in page and "Bob" in page and "Alice" not in page
    assert fb_cm.post(f"/admin/connector/queue/{remote}/candidates", {"member_id": str(bob_id)}).status_code == 302
    with fontainebleau.session() as session:
        candidate_id = session.scalar(select(Candidate.id))
    assert "photographe" in bob.get("/connector/introductions").get_data(as_text=True)
    assert bob.post(f"/connector/introductions/{candidate_id}", {"decision": "accepted"}).status_code == 302
    answer_id = _deliver(fontainebleau, aix, lambda s: s.scalar(select(NetworkAnswer.id)))
    assert "bob@fb.example" in aix_cm.get(f"/admin/connector/queue/{item_id}").get_data(as_text=True)
    assert aix_cm.post(f"/admin/connector/answers/{answer_id}/referral").status_code == 302
    with aix.session() as session:
        referral_id = session.scalar(select(Referral.id))
    assert alice.post(f"/connector/referrals/{referral_id}/value", {"amount": "350,00"}).status_code == 302
    _deliver(aix, fontainebleau, lambda s: s.scalar(select(Candidate.deal_cents)))
    assert "350,00" in bob.get("/connector/introductions").get_data(as_text=True)
    assert bob.post(f"/connector/introductions/{candidate_id}/deal").status_code == 302
    _deliver(fontainebleau, aix, lambda s: s.scalar(select(Referral.value_confirmed_at)))
    page = alice.get("/connector/referrals").get_data(as_text=True).replace("\u202f", " ").replace("\xa0", " ")
    assert "350,00 €" in page and "Bob (Coworking Fontainebleau)" in page
    assert "350,00" in bob.get("/connector/referrals").get_data(as_text=True)
