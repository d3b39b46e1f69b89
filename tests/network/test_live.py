"""Three real nodes on loopback (A, B, C), peered, talking the real protocol over HTTP."""

from __future__ import annotations

import dataclasses
import random
import secrets
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import delete, inspect, select, text

from federation.keys import now_ms
from federation.messages import FEED_HINT
from node.accounts import accounts
from node.federation import keyring, peers, sync
from node.federation.models import DELIVERY_PENDING
from node.members import profiles
from node.models import (
    FeedEntry,
    Introduction,
    Member,
    NetworkEntry,
    NetworkEntryConcept,
    OutboxMessage,
)
from node.network import export as network_export
from node.network import introductions
from node.network import search as network_search
from tests.conftest import MEMBER_PASSWORD as PASSWORD  # noqa: E402


def add_member(node, email: str, name: str, *, skills, visibility="network_anonymous", **profile):
    with node.session() as session:
        member = accounts.create_member(session, node.app.extensions["coworknet.passwords"],
                                        email=email, display_name=name, password=PASSWORD)
        profiles.update_profile(session, member, {
            "skills": [{"label": s, "level": lvl} for s, lvl in skills],
            "visibility": visibility, **profile,
        })
        session.commit()
        return member.id


def token(node, member_id: int) -> dict:
    with node.session() as session:
        _row, clear = accounts.create_api_token(session, session.get(Member, member_id), "tests")
        session.commit()
    return {"Authorization": f"Bearer {clear}"}


def set_visibility(node, member_id: int, visibility: str) -> None:
    with node.session() as session:
        profiles.update_profile(session, session.get(Member, member_id), {"visibility": visibility})
        session.commit()


def wait_delivered(node, timeout: float = 10.0) -> None:
    """Wait for the messages queued with ``deliver_now`` (sent by a thread after commit)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with node.session() as session:
            # Feed hints wait for the scheduler's round here (FEDERATION_HINT_AFTER_COMMIT off).
            pending = session.scalars(select(OutboxMessage.last_error).where(
                OutboxMessage.status == DELIVERY_PENDING,
                OutboxMessage.message_type != FEED_HINT)).all()
        if not pending:
            return
        time.sleep(0.05)
    raise AssertionError(f"undelivered messages: {pending}")


def database_text(node) -> str:
    """Every value of every table of the node's database, as one string."""
    parts = []
    with node.session() as session:
        for name in inspect(session.get_bind()).get_table_names():
            for row in session.execute(text(f'SELECT * FROM "{name}"')):  # noqa: S608 - table names from the database
                parts.append(" ".join(str(v) for v in row))
    return "\n".join(parts)


@pytest.fixture
def network(live_nodes):
    nodes = [live_nodes.add(name, {"PSEUDONYM_SECRET": secrets.token_hex(32)})
             for name in ("aix", "bleau", "calanques")]
    live_nodes.peer_all()
    return nodes


@pytest.fixture
def accountants(network):
    a = network[0]
    ids = [
        add_member(a, f"expert{i}@aix.example", f"Alice Secretname{i}",
                   skills=[("expert-comptable", "expert"), ("fiscalité", "confirme")],
                   bio=f"Bio secrète numéro {i}", headline="Private headline",
                   languages=["fr", "en"], open_to_paid=True)
        for i in range(3)
    ]
    return ids


def search(node, headers, text: str) -> list[dict]:
    response = node.client().get("/api/v1/search", query_string={"q": text}, headers=headers)
    assert response.status_code == 200, response.json
    return response.json["results"]


def test_an_anonymous_expert_of_a_is_found_from_c_without_anything_personal(network, accountants):
    a, b, c = network
    c.sync()
    searcher = token(c, add_member(c, "bob@c.example", "Bob", skills=[], visibility="space"))
    for typed in ("comptabilité", "comptabilite", "accountant", "comptabilte"):
        results = search(c, searcher, typed)
        # The three accountants first; then their tax skills (a related skill of accounting).
        concepts = [r["matched"][0]["concept"] for r in results]
        assert concepts[:3] == ["accounting"] * 3 and "accounting" not in concepts[3:], typed
        assert {r["place"]["value"] for r in results} == {"Coworking Aix"}
        assert all(r["display_name"] is None for r in results)
    stored = database_text(c)
    for secret in ("Secretname", "@aix.example", "Bio secrète", "Private headline"):
        assert secret not in stored


def test_accepted_declined_and_unanswered_introductions(network, accountants, clock):
    a, b, c = network
    c.sync()
    bob = add_member(c, "bob@c.example", "Bob", skills=[], visibility="space")
    headers = token(c, bob)
    cards = [card for card in search(c, headers, "comptable")
             if card["matched"][0]["concept"] == "accounting"]
    for card in cards:
        response = c.client().post("/api/v1/network/introductions", headers=headers, json={
            "handle": card["handle"], "message": "Bonjour, j'ai besoin d'aide pour mon bilan.",
            "concept": "accounting"})
        assert response.status_code == 201, response.json
    # Delivered to A's inbox, signed, right after C's commit.
    wait_delivered(c)
    with a.session() as session:
        incoming = session.scalars(select(Introduction).where(
            Introduction.direction == "incoming").order_by(Introduction.id)).all()
        assert len(incoming) == 3
        assert {i.other_name for i in incoming} == {"Bob"}
        experts = [(i.id, i.member_id) for i in incoming]
        expert_emails = {session.get(Member, i.member_id).email for i in incoming}
    # Each expert is told by mail, without the message itself.
    mails = a.app.extensions["coworknet.mail"].outbox
    assert {m.to for m in mails} == expert_emails
    assert all("Bob" in m.body and "bilan" not in m.body for m in mails)
    (accepted_id, accepting), (declined_id, declining), _silent = experts
    # The scheduler's rounds run while the experts think it over: the pending requests keep
    # what the requester chose to share (a round's upkeep used to forget it).
    a.round()
    with a.session() as session:
        assert {i.other_email for i in session.scalars(select(Introduction).where(
            Introduction.direction == "incoming"))} == {"bob@c.example"}
    accepted = a.client().post(f"/api/v1/network/introductions/{accepted_id}/accept",
                               headers=token(a, accepting), json={"reveal_email": True})
    assert accepted.status_code == 200, accepted.json
    assert accepted.json["other_email"] == "bob@c.example"  # the requester, revealed to the expert
    declined = a.client().post(f"/api/v1/network/introductions/{declined_id}/decline",
                               headers=token(a, declining), json={})
    assert declined.status_code == 200
    wait_delivered(a)
    with a.session() as session:  # only the acceptance left A: a decline sends nothing
        sent = session.scalars(select(OutboxMessage.message_type)).all()
        assert sent.count("introduction.response") == 1

    mine = c.client().get("/api/v1/network/introductions", headers=headers).json
    by_status = Counter(i["status"] for i in mine)
    assert by_status == {"accepted": 1, "pending": 2}
    [done] = [i for i in mine if i["status"] == "accepted"]
    with a.session() as session:
        assert done["other_email"] == session.get(Member, accepting).email
    assert done["other_name"].startswith("Alice Secretname")
    # The declined and the unanswered requests are the same, now and after the delay.
    with c.session() as session:
        rows = session.scalars(select(Introduction).where(Introduction.status != "accepted")).all()
        assert len(rows) == 2
        shape = [(r.status, r.other_name, r.other_email, r.reply_message, r.answered_at,
                  r.expires_at - r.created_at) for r in rows]
        assert shape[0] == shape[1]
        later = clock.now() + timedelta(days=15)  # unpinned: the live nodes' system clock
        assert {introductions.visible_status(r, later) for r in rows} == {"expired"}
        introductions.expire_introductions(session, later)
        session.commit()
        assert {r.status for r in session.scalars(select(Introduction).where(
            Introduction.answered_at.is_(None)))} == {"expired"}


def test_leaving_the_network_removes_the_copies_and_leases_cover_lost_tombstones(network,
                                                                                accountants, clock):
    a, b, c = network
    extra = add_member(a, "expert9@aix.example", "Zed", skills=[("comptable", "expert")])
    b.sync(), c.sync()

    def copies(node) -> int:
        with node.session() as session:
            return len(session.scalars(select(NetworkEntry).where(NetworkEntry.owner == a.url)).all())

    # Three anonymous accountants with two skills each (a fragment per skill) and Zed.
    assert copies(b) == copies(c) == 7
    set_visibility(a, accountants[0], "space")
    b.sync(), c.sync()
    assert copies(b) == copies(c) == 5

    # The next tombstone is lost: A's outbox drops it before C pulls.
    set_visibility(a, extra, "space")
    with a.session() as session:
        session.execute(delete(FeedEntry).where(FeedEntry.is_deleted.is_(True)))
        session.commit()
    c.sync()
    assert copies(c) == 5  # still there: never told
    with c.session() as session:
        network_search.expire_copies(session, clock.now() + timedelta(days=8, hours=1))
        session.commit()
    assert copies(c) == 0  # the lease ran out: every copy A stopped renewing is gone


def test_sync_pages_leave_the_exports_alone_while_approvals_and_profiles_update_them(
        live_nodes, monkeypatch):
    """A sync page moves the peer's cursor, which changes nothing that a peer should hold: its
    commit neither recomputes the exports nor refreshes the local index (the round's end renews
    the exports). A peer's move to another region, its change of status, and a member's
    profile change still do."""
    a = live_nodes.add("aix", {"PSEUDONYM_SECRET": secrets.token_hex(32)})
    b = live_nodes.add("bleau", {"PSEUDONYM_SECRET": secrets.token_hex(32),
                                 "FEDERATION_PAGE_LIMIT": 1})
    live_nodes.peer(a, b)
    for i in range(3):
        add_member(a, f"expert{i}@aix.example", f"Alice {i}",
                   skills=[("expert-comptable", "expert")])
    calls: Counter[str] = Counter()

    def counted(name, real):
        def call(*args, **kwargs):
            calls[name] += 1
            return real(*args, **kwargs)
        return call

    monkeypatch.setattr(network_export, "sync_exports",
                        counted("exports", network_export.sync_exports))
    monkeypatch.setattr(network_search, "refresh_local_entries",
                        counted("refresh", network_search.refresh_local_entries))
    with b.session() as session:
        peer_id = peers.find_peer(session, a.url).id
    result = sync.sync_peer(b.runtime, peer_id)
    assert result.error is None and result.applied == 3 and result.pages >= 3
    assert calls == Counter()

    # A moved to Brittany: B learns it from A's node document (the keyring merges it).
    document, raw = keyring.fetch_document(b.runtime, a.url)
    with b.session() as session:
        keyring.merge_document(peers.find_peer(session, a.url),
                               dataclasses.replace(document, region="Bretagne"), raw, now=now_ms())
        session.commit()
    assert calls == Counter(exports=1)
    with b.session() as session:
        peers.suspend(session, peers.find_peer(session, a.url))
        session.commit()
    assert calls == Counter(exports=2)
    add_member(b, "bob@bleau.example", "Bob", skills=[("fiscalité", "expert")])
    assert calls["refresh"] >= 1 and calls["exports"] >= 3


def test_a_lone_cabinetmaker_is_found_but_nothing_ties_the_skill_to_their_others(network):
    """The lone cabinetmaker chose to be found: the peer holds the skill, on a fragment of its
    own (no other skill, no trade group) that names the city, not the space; each of the
    person's skills is a separate entry, so no record of the peer singles out the combination."""
    a, b, c = network
    rng = random.Random(5)
    common = ["comptabilité", "graphisme", "traduction anglais-français", "photographie",
              "développement web", "gestion de projet"]
    for i in range(19):
        add_member(a, f"m{i}@aix.example", f"Membre {i}",
                   skills=[(s, "confirme") for s in rng.sample(common, 3)])
    add_member(a, "wood@aix.example", "Lone Woodworker",
               skills=[("ébéniste", "expert"), ("comptabilité", "expert")])
    c.sync()
    with c.session() as session:
        entries = session.scalars(select(NetworkEntry).where(NetworkEntry.owner == a.url)).all()
        concepts = {e.id: [row.concept for row in session.scalars(
            select(NetworkEntryConcept).where(NetworkEntryConcept.entry_id == e.id))] for e in entries}
    assert all(len(keys) == 1 for keys in concepts.values())  # one skill per anonymous entry
    [wood] = [e for e in entries if concepts[e.id] == ["cabinetmaking"]]
    assert wood.trade_group is None and wood.place_kind != "space"
    assert {e.pseudonym for e in entries if e.id != wood.id}.isdisjoint({wood.pseudonym})
    # Every other (concept, place) pair the peer holds is shared by at least k = 3 people.
    pairs = Counter((concepts[e.id][0], e.place_kind, e.place_value) for e in entries if e is not wood)
    assert min(pairs.values()) >= 3


def test_the_expert_is_told_with_a_link_the_requester_is_told_of_the_acceptance_and_can_withdraw(
        network, accountants):
    """Across two live nodes: the expert's notification and mail land on the request; the
    acceptance notifies the requester at their own node with the contact; a request withdrawn
    by its requester is closed at the expert's node, which forgets the requester's e-mail."""
    from node.models import Notification
    from tests.conftest import PortalClient

    a, _b, c = network
    c.sync()
    bob = add_member(c, "bob@c.example", "Bob", skills=[], visibility="space")
    headers = token(c, bob)
    first, second = search(c, headers, "comptable")[:2]
    for card in (first, second):
        assert c.client().post("/api/v1/network/introductions", headers=headers, json={
            "handle": card["handle"], "message": "Un bilan à faire", "concept": "accounting"}).status_code == 201
    wait_delivered(c)
    with a.session() as session:
        incoming = session.scalars(select(Introduction).where(
            Introduction.direction == "incoming").order_by(Introduction.id)).all()
        told = session.scalars(select(Notification).where(
            Notification.kind == "introduction.received").order_by(Notification.id)).all()
        assert [n.link for n in told] == [f"/network/introductions#received-{i.id}" for i in incoming]
    mails = a.app.extensions["coworknet.mail"].outbox
    assert all(f"{a.url}/network/introductions#received-" in m.body for m in mails[-2:])

    # The requester's list says to whom (the space's name), which skill, when.
    portal = PortalClient(c.client())
    portal.login("bob@c.example")
    page = portal.get("/network/introductions").get_data(as_text=True)
    assert "Coworking Aix" in page and "Compétence : Comptabilité" in page and "Retirer ma demande" in page
    with c.session() as session:
        outgoing = session.scalars(select(Introduction).where(
            Introduction.direction == "outgoing").order_by(Introduction.id)).all()
    assert portal.post(f"/network/introductions/{outgoing[1].id}/withdraw", {"confirm": "1"}).status_code == 302
    wait_delivered(c)
    with a.session() as session:  # the two requests may have reached A in either order
        closed = session.scalar(select(Introduction).where(
            Introduction.request_uid == outgoing[1].request_uid))
        assert (closed.status, closed.other_email) == ("cancelled", "")
        kept = session.scalar(select(Introduction).where(
            Introduction.request_uid == outgoing[0].request_uid))
        assert (kept.status, kept.other_email) == ("pending", "bob@c.example")
    assert portal.post(f"/network/introductions/{outgoing[1].id}/withdraw", {"confirm": "1"}).status_code == 409

    accepted = a.client().post(f"/api/v1/network/introductions/{kept.id}/accept",
                               headers=token(a, kept.member_id), json={"reveal_email": True})
    assert accepted.status_code == 200
    wait_delivered(a)
    with c.session() as session:
        (note,) = session.scalars(select(Notification).where(
            Notification.kind == "introduction.accepted")).all()
        assert note.member_id == bob and note.link == f"/network/introductions#sent-{outgoing[0].id}"
    mail = c.app.extensions["coworknet.mail"].outbox[-1]
    assert mail.to == "bob@c.example" and "Alice Secretname" in mail.subject


def test_two_colluding_peers_cannot_pair_entries_by_order_lease_or_epoch(live_nodes, clock):
    """B and C pool what they received from A when they peered with it. Each entry's content
    (the languages tell the twelve accountants apart here) pairs B's copy with C's; nothing
    else may: not the position in the feed, not the lease, and after a pseudonym epoch not the
    order of tombstones and new entries either."""
    from node.federation.models import FeedCopy
    from node.network.settings import settings_of

    a, b, c = (live_nodes.add(name, {"PSEUDONYM_SECRET": secrets.token_hex(32)})
               for name in ("aix", "bleau", "calanques"))
    languages = [["fr"], ["en"], ["es"], ["de"], ["it"], ["pt"], ["ar"], ["nl"], ["fr", "en"],
                 ["fr", "es"], ["en", "de"], ["fr", "ar"]]
    for i, langs in enumerate(languages):
        add_member(a, f"acc{i}@aix.example", f"Comptable {i}", skills=[("comptabilité", "expert")],
                   languages=langs)
    live_nodes.peer_all()
    b.sync(), c.sync()

    def received(node) -> list[tuple[int, bool, tuple | None, int | None]]:
        """(seq, tombstone, languages, lease) of A's directory items, in feed order."""
        with node.session() as session:
            copies = session.scalars(select(FeedCopy).where(FeedCopy.peer_node_id == a.url)
                                     .order_by(FeedCopy.seq)).all()
            entries = {e.object_id: e for e in session.scalars(
                select(NetworkEntry).where(NetworkEntry.owner == a.url))}
            return [(copy.seq, copy.is_deleted,
                     tuple(entries[copy.object_id].languages.split()) if copy.object_id in entries else None,
                     int(entries[copy.object_id].lease_until.timestamp()) if copy.object_id in entries else None)
                    for copy in copies]

    at_b, at_c = received(b), received(c)
    order_b = [langs for _seq, _dead, langs, _lease in at_b]
    order_c = [langs for _seq, _dead, langs, _lease in at_c]
    assert sorted(order_b) == sorted(order_c) and len(order_b) == 12
    assert order_b != order_c  # each peer got its own random order (1 chance in 12! to agree)
    assert len({lease for *_rest, lease in at_b}) == 1 and len({lease for *_rest, lease in at_c}) == 1

    # A new pseudonym epoch: B sees every new entry first, then every tombstone.
    with a.session() as session:
        settings = settings_of(session)
        network_export.sync_exports(session, settings,
                                    now=clock.now() + timedelta(days=settings.epoch_days))
        session.commit()
    before = max(seq for seq, *_rest in at_b)
    b.sync()
    after = [(seq, dead) for seq, dead, *_rest in received(b) if seq > before]
    assert [dead for _seq, dead in after] == [False] * 12 + [True] * 12


def test_a_named_member_of_a_five_member_space_is_found_from_another_node_with_their_exact_skill(
        network):
    """Rarity never hides a member who chose to be found with their name."""
    a, _b, c = network
    for i, skill in enumerate(["comptabilité", "graphisme", "traduction anglais-français", "photographie"]):
        add_member(a, f"m{i}@aix.example", f"Membre {i}", skills=[(skill, "confirme")])
    add_member(a, "lea@aix.example", "Léa Potière", skills=[("céramique", "expert")],
               visibility="network_named", headline="Céramiste, tournage et émaux")
    c.sync()
    searcher = token(c, add_member(c, "bob@c.example", "Bob", skills=[], visibility="space"))
    [first, *_rest] = search(c, searcher, "céramique")
    assert first["display_name"] == "Léa Potière" and first["space"] == "Coworking Aix"
    assert [(m["concept"], m["level_band"], m["generalised"]) for m in first["matched"]] == [
        ("ceramics", "expert", False)]
