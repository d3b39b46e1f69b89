"""Two real nodes: a free-text skill that no concept matches stays on its node, until the
manager maps it to a concept; then the peer holds the concept after its next sync."""

from __future__ import annotations

import secrets

from sqlalchemy import select

from node.accounts import accounts
from node.models import NetworkEntry, NetworkEntryConcept
from tests.conftest import MEMBER_PASSWORD
from tests.network.test_live import add_member, search, token

TYPED = "Kintsugi"  # no concept of the bundled thesaurus names it


def concepts_held(node, owner: str) -> set[str]:
    """The concepts ``node``'s copies of ``owner``'s directory hold."""
    with node.session() as session:
        return set(session.scalars(
            select(NetworkEntryConcept.concept)
            .join(NetworkEntry, NetworkEntry.id == NetworkEntryConcept.entry_id)
            .where(NetworkEntry.owner == owner)))


def add_manager(node, email: str) -> int:
    with node.session() as session:
        manager = accounts.create_member(session, node.app.extensions["coworknet.passwords"],
                                         email=email, display_name="Gérard",
                                         password=MEMBER_PASSWORD, role="manager")
        session.commit()
        return manager.id


def test_a_mapped_free_text_skill_reaches_the_peer_at_the_next_sync(live_nodes):
    # k = 1: one member's concept may leave A (the rare-skill rule is tested elsewhere).
    a = live_nodes.add("aix", {"PSEUDONYM_SECRET": secrets.token_hex(32), "NETWORK_K": 1})
    b = live_nodes.add("bleau", {"PSEUDONYM_SECRET": secrets.token_hex(32)})
    live_nodes.peer_all()
    add_member(a, "potiere@aix.example", "Paule",
               skills=[("Comptabilité", "confirme"), (TYPED, "expert")])
    manager = token(a, add_manager(a, "gerant@aix.example"))
    searcher = token(b, add_member(b, "bob@bleau.example", "Bob", skills=[], visibility="space"))

    b.sync()
    assert concepts_held(b, a.url) == {"accounting"}  # the free text never left A
    assert search(b, searcher, "céramique") == []
    waiting = a.client().get("/api/v1/admin/skills/unmapped", headers=manager)
    assert waiting.json["items"] == [{"tag": "kintsugi", "members": 1, "labels": [TYPED]}]

    mapped = a.client().post("/api/v1/admin/skills/mappings", headers=manager,
                             json={"tag": TYPED, "concept_id": "ceramics"})
    assert mapped.status_code == 201, mapped.json
    assert concepts_held(b, a.url) == {"accounting"}  # not before B's next sync

    b.sync()
    assert concepts_held(b, a.url) == {"accounting", "ceramics"}
    [found] = search(b, searcher, "céramique")
    assert found["place"]["value"] and found["matched"][0]["concept"] == "ceramics"

    # Undone: A withdraws the concept from B's copy at the next sync.
    undone = a.client().delete("/api/v1/admin/skills/mappings/kintsugi", headers=manager)
    assert undone.status_code == 200, undone.json
    b.sync()
    assert concepts_held(b, a.url) == {"accounting"}
    assert search(b, searcher, "céramique") == []
