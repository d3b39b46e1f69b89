"""Search over peers' copies and our own members: concepts in French or English, accents,
typos and stopwords; matched concepts only; leases; portal and API."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from node.models import FeedCopy, Introduction, NetworkEntry
from node.network import search as network_search
from node.network.search import NetworkQuery, SearchLimiter, search_network

from .test_export import remote_item

B = "https://b.example"


def add_copy(session, now: datetime, local: str, concepts: list[tuple[str, bool]],
             **content) -> NetworkEntry:
    """A peer's entry with ``concepts``, applied as of ``now`` (the test's clock)."""
    item = remote_item(B, local, "accounting", now=now, **content)
    item["content"]["concepts"] = [
        {"concept": c, "level_band": "confirmed", "generalised": g} for c, g in concepts
    ]
    network_search.apply_directory_item(session, None, item)
    session.commit()
    return session.scalar(select(NetworkEntry).where(NetworkEntry.object_id == item["id"]))


def keys_of(result) -> list[str]:
    return [hit.entry.object_id or f"local:{hit.entry.member_id}" for hit in result.hits]


def test_french_english_accents_typos_and_stopwords_find_the_same_concept(session, clock):
    entry = add_copy(session, clock.now(), "acc", [("accounting", False), ("photography", False)])
    for text in ("comptabilité", "comptabilite", "Accountant", "comptabilte", "la comptabilité",
                 "expert-comptable", "bookkeeping"):
        result = search_network(session, NetworkQuery(text=text))
        assert keys_of(result) == [entry.object_id], text
        # Only the matched concept is shown, never the whole skill set.
        assert [m.key for m in result.hits[0].matched] == ["accounting"]


def test_generalised_entries_are_found_through_their_group(session, clock):
    entry = add_copy(session, clock.now(), "wood", [("wood-crafts", True)])
    result = search_network(session, NetworkQuery(text="ébéniste"))
    assert keys_of(result) == [entry.object_id]
    assert result.hits[0].matched[0].is_generalised


def test_own_members_are_found_first_and_the_searcher_is_left_out(session, create_member, clock):
    remote = add_copy(session, clock.now(), "acc", [("accounting", False)])
    me = create_member(skills=[("comptable", "expert")])
    neighbour = create_member(display_name="Joana", skills=[("comptabilité", "debutant")])
    result = search_network(session, NetworkQuery(text="accountant"), exclude_member_id=me.id)
    assert keys_of(result) == [f"local:{neighbour.id}", remote.object_id]
    assert result.hits[0].entry.display_name == "Joana"


def test_facets_and_filters(session, clock):
    now = clock.now()
    fr = add_copy(session, now, "fr", [("accounting", False)], languages=["fr"])
    en = add_copy(session, now, "en", [("accounting", False)], languages=["en"], open_to_paid=True)
    result = search_network(session, NetworkQuery(text="comptable", language="en"))
    assert keys_of(result) == [en.object_id]
    result = search_network(session, NetworkQuery(text="comptable", open_to_paid=True))
    assert keys_of(result) == [en.object_id]
    result = search_network(session, NetworkQuery(text="comptable"))
    assert set(keys_of(result)) == {fr.object_id, en.object_id}
    assert result.facets["place"] == {"Espace B": 2}
    assert result.facets["language"] == {"fr": 1, "en": 1}
    assert search_network(session, NetworkQuery(text="zzzz qqqq")).hits == []


def test_a_tombstone_removes_the_copy(session, clock):
    entry = add_copy(session, clock.now(), "acc", [("accounting", False)])
    tombstone = {"seq": 2, "type": "directory.entry", "id": entry.object_id, "owner": B,
                 "origin_ts": 0, "deleted": True}
    network_search.apply_directory_item(session, None, tombstone)
    session.commit()
    assert search_network(session, NetworkQuery(text="comptable")).hits == []


def test_a_redacted_item_removes_the_copy(session, clock):
    entry = add_copy(session, clock.now(), "acc", [("accounting", False)])
    redacted = {"seq": 2, "type": "directory.entry", "id": entry.object_id, "owner": B,
                "origin_ts": 0, "deleted": False, "content": None, "redacted": True}
    network_search.apply_directory_item(session, None, redacted)
    session.commit()
    assert session.scalar(select(NetworkEntry)) is None


def test_an_expired_lease_removes_the_copy_and_the_transport_copy(session, clock):
    entry = add_copy(session, clock.now(), "acc", [("accounting", False)])
    session.add(FeedCopy(peer_node_id=B, object_id=entry.object_id, item_type="directory.entry",
                         seq=1, item_json='{"content": "personal"}'))
    session.commit()
    # Not searchable once the lease passed, even before the expirer ran.
    later = clock.now() + timedelta(days=9)
    assert search_network(session, NetworkQuery(text="comptable"), now=later).hits == []
    assert network_search.expire_copies(session, later) == 1
    session.commit()
    assert session.scalar(select(NetworkEntry)) is None
    assert session.scalar(select(FeedCopy.item_json)) is None


def test_a_peer_cannot_extend_a_lease_beyond_the_cap(session, clock):
    now = clock.now()
    far = int((now + timedelta(days=365)).timestamp() * 1000)
    entry = add_copy(session, now, "acc", [("accounting", False)], lease_until_ts=far)
    assert entry.lease_until < now + timedelta(days=9)


def test_portal_and_api_show_cards_with_fresh_handles(app, session, portal, client, create_member,
                                                      api_token, clock):
    add_copy(session, clock.now(), "acc", [("accounting", False), ("photography", False)])
    me = create_member("me@example.org")
    headers = api_token(me)
    first = client.get("/api/v1/search?q=comptabilite", headers=headers)
    assert first.status_code == 200, first.json
    assert first.json["concepts"] == ["accounting"]
    [card] = first.json["results"]
    assert [m["concept"] for m in card["matched"]] == ["accounting"]
    assert card["display_name"] is None and card["local"] is False
    second = client.get("/api/v1/search?q=comptabilite", headers=headers).json["results"][0]
    assert card["handle"] != second["handle"]
    assert "aaaa" not in card["handle"]  # not the pseudonym

    portal.login("me@example.org")
    page = portal.get("/network?q=comptabilite").get_data(as_text=True)
    assert "Demander une mise en relation" in page or "Request an introduction" in page


def test_a_handle_only_opens_for_its_member_and_bad_requests_change_nothing(
        session, client, create_member, api_token, clock):
    add_copy(session, clock.now(), "acc", [("accounting", False)])
    me, other = create_member(), create_member()
    card = client.get("/api/v1/search?q=comptable", headers=api_token(me)).json["results"][0]
    stolen = client.post("/api/v1/network/introductions", headers=api_token(other),
                         json={"handle": card["handle"], "message": "Bonjour"})
    assert stolen.status_code == 404
    bad = client.post("/api/v1/network/introductions", headers=api_token(me),
                      json={"handle": card["handle"], "message": "", "extra": 1})
    assert bad.status_code == 422
    assert session.scalar(select(Introduction)) is None


def test_searches_are_rate_limited(app, client, create_member, api_token):
    app.extensions["coworknet.network.limiter"] = SearchLimiter(limit=2)
    headers = api_token(create_member())
    codes = [client.get("/api/v1/search?q=comptable", headers=headers).status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_portal_pages_for_members_and_managers(session, portal, create_member):
    member = create_member("joana@example.org", skills=[("comptable", "expert")],
                           visibility="network_anonymous")
    create_member("cm@example.org", role="manager")
    portal.login("joana@example.org")
    page = portal.get("/network/introductions")
    assert page.status_code == 200
    assert portal.post("/network/pause", {"paused": "on"}).status_code == 302
    from node.network.introductions import requests_paused
    session.expire_all()
    assert requests_paused(session, member)
    # A rejected form changes nothing.
    assert portal.post("/network/pause", {"extra": "x"}).status_code == 422
    session.expire_all()
    assert requests_paused(session, member)
    assert portal.get("/admin/network").status_code == 403
    portal.post("/logout")
    portal.login("cm@example.org")
    assert portal.get("/admin/network").status_code == 200
