"""What leaves the node: the export whitelist, the rare-skill rule, per-peer pseudonyms,
withdrawal. Feed items are read back from the node's own signed outbox."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from node.models import DirectoryExport, FeedEntry, Introduction, Member
from node.network import export as network_export
from node.network import search as network_search
from node.network.export import draft_entries, sync_exports

B, C = "https://b.example", "https://c.example"
WHITELIST = {
    "pseudonym", "concepts", "languages", "open_to_help", "open_to_paid", "open_to_barter",
    "trade_group", "place", "lease_until_ts", "named",
}


def directory_items(session, recipient: str) -> list[dict]:
    session.expire_all()
    rows = session.scalars(select(FeedEntry).where(FeedEntry.recipient == recipient,
                                                   FeedEntry.item_type == "directory.entry"))
    return [json.loads(row.item_json) for row in rows]


def live_contents(session, recipient: str) -> list[dict]:
    return [item["content"] for item in directory_items(session, recipient) if not item["deleted"]]


def accountants(create_member, n: int, **extra) -> list[Member]:
    return [create_member(skills=[("comptabilité", "expert")], visibility="network_anonymous",
                          **extra) for _ in range(n)]


def test_nothing_outside_the_whitelist_leaves_the_node(app, session, create_member, approved_peers,
                                                       settings):
    approved_peers(B, C)
    accountants(create_member, 2)
    sentinel = create_member(
        "sentinel-mail@zz-sentinel.example", display_name="Zorglub Sentinelname",
        headline="SentinelHeadline", bio="SentinelBioText secret story", locale="en",
        trade_id="accountant", open_to_help=True, languages=["fr", "en"],
        skills=[("comptabilité", "expert"), ("SentinelFreeSkill", "expert")],
        visibility="network_anonymous",
    )
    sentinel.photo_filename = "sentinel-photo.png"
    sentinel.created_at = datetime(2019, 3, 14, 9, 26, tzinfo=UTC)
    sentinel.last_login_at = datetime(2019, 3, 15, 9, 26, tzinfo=UTC)
    session.commit()

    sync_exports(session, settings)
    session.commit()

    markers = ["sentinel", "zorglub", "2019-03-1", "sentinel-photo", "zz-sentinel"]
    for peer in (B, C):
        items = directory_items(session, peer)
        assert len(items) == 3
        for item in items:
            text = json.dumps(item, ensure_ascii=False).lower()
            assert not [m for m in markers if m in text], text
            assert set(item["content"]) <= WHITELIST
            assert item["id"].endswith("/directory/" + item["content"]["pseudonym"])
            assert item["content"]["named"] is False
    ours = [c for c in live_contents(session, B) if c["languages"] == ["en", "fr"]][0]
    assert ours["concepts"] == [{"concept": "accounting", "level_band": "expert", "generalised": False}]
    assert ours["open_to_help"] is True and ours["trade_group"] == "finance-accounting"
    assert ours["place"] == {"kind": "space", "value": app.config["NODE_NAME"]}


def test_named_members_share_name_and_headline_but_never_bio_or_email(session, create_member,
                                                                     approved_peers, settings):
    approved_peers(B)
    accountants(create_member, 2)
    create_member("named@example.org", display_name="Hanneke V.", headline="Comptable freelance",
                  bio="Private bio", skills=[("comptable", "confirme")], visibility="network_named")
    sync_exports(session, settings)
    named = [c for c in live_contents(session, B) if c["named"]]
    assert len(named) == 1
    assert named[0]["display_name"] == "Hanneke V." and named[0]["headline"] == "Comptable freelance"
    assert "Private bio" not in json.dumps(named) and "named@example.org" not in json.dumps(named)


def test_only_active_opted_in_members_are_shared(session, create_member, approved_peers, settings):
    approved_peers(B)
    accountants(create_member, 3)
    create_member(skills=[("comptabilité", "expert")], visibility="space")
    create_member(skills=[("comptabilité", "expert")], visibility="network_named", status="suspended")
    sync_exports(session, settings)
    assert len(live_contents(session, B)) == 3


def test_rare_skills_are_generalised_coarsened_or_withheld(session, create_member, approved_peers,
                                                           settings):
    approved_peers(B)
    accountants(create_member, 3)
    # One cabinetmaker, and two other woodworkers: the group has 3 members, the concept 1.
    create_member(skills=[("ébéniste", "expert"), ("comptabilité", "confirme")],
                  visibility="network_anonymous")
    create_member(skills=[("menuiserie", "confirme")], visibility="network_anonymous")
    create_member(skills=[("charpente", "debutant")], visibility="network_anonymous")
    # A lone sommelier: nothing shareable in the group either -> withheld.
    create_member(skills=[("sommelier", "expert")], visibility="network_anonymous")

    drafts = draft_entries(session, settings.k)
    concepts = [key for d in drafts.values() for key, _, _ in d.concepts]
    assert "cabinetmaking" not in concepts and "joinery" not in concepts
    assert concepts.count("wood-crafts") == 3
    assert all(generalised for d in drafts.values() for key, _, generalised in d.concepts
               if key == "wood-crafts")
    assert concepts.count("accounting") == 4
    assert len(drafts) == 7 - 1  # the sommelier has nothing shareable: no entry at all
    # k holds for every exported (concept, place) pair.
    pairs = Counter((key, d.place_kind, d.place_value) for d in drafts.values()
                    for key, _, _ in d.concepts)
    assert min(pairs.values()) >= 3


def test_a_rare_skill_is_shared_at_region_level_when_the_region_has_enough(
        session, create_member, approved_peers, settings, app, clock):
    region = "Provence-Alpes-Côte d'Azur"
    space = network_search.our_locality(session)
    approved_peers(B, region=region)
    app.config["NODE_REGION"] = region
    from node.models import Space
    session.add(Space(name=space.name, city="Marseille", region=region, base_url="http://x.test"))
    session.commit()
    # Two sommeliers held as copies from a peer of the same region.
    for i in range(2):
        network_search.apply_directory_item(session, None, remote_item(B, f"s{i}", "wine", now=clock.now()))
    session.commit()
    create_member(skills=[("sommelier", "expert")], visibility="network_anonymous")
    drafts = list(draft_entries(session, settings.k).values())
    assert len(drafts) == 1
    assert drafts[0].place_kind == "region" and drafts[0].place_value == region
    assert drafts[0].concepts == (("wine", "expert", False),)


def remote_item(owner: str, local: str, concept: str, *, now: datetime, generalised: bool = False,
                lease_ms: int | None = None, **content) -> dict:
    """A peer's directory item as ``now`` sees it (a seven-day lease from then)."""
    now_ms = int(now.timestamp() * 1000)
    base = {
        "pseudonym": (local + "a" * 32)[:32].replace("0", "a").replace("1", "b"),
        "concepts": [{"concept": concept, "level_band": "expert", "generalised": generalised}],
        "languages": ["fr"], "open_to_help": True, "open_to_paid": False, "open_to_barter": False,
        "trade_group": None, "place": {"kind": "space", "value": "Espace B"},
        "lease_until_ts": lease_ms or now_ms + 7 * 86_400_000, "named": False,
    }
    base.update(content)
    return {"seq": 1, "type": "directory.entry", "id": f"{owner}/directory/{local}",
            "owner": owner, "origin_ts": now_ms, "deleted": False, "content": base}


def test_pseudonyms_differ_per_peer_so_pooled_copies_do_not_join(session, create_member,
                                                                 approved_peers, settings):
    approved_peers(B, C)
    accountants(create_member, 5)
    sync_exports(session, settings)
    at_b, at_c = live_contents(session, B), live_contents(session, C)
    assert len(at_b) == len(at_c) == 5
    assert not {c["pseudonym"] for c in at_b} & {c["pseudonym"] for c in at_c}
    ids_b = {i["id"] for i in directory_items(session, B)}
    ids_c = {i["id"] for i in directory_items(session, C)}
    assert not ids_b & ids_c


def test_unchanged_entries_are_not_republished_until_the_lease_needs_renewal(
        session, create_member, approved_peers, settings, clock):
    approved_peers(B)
    accountants(create_member, 3)
    assert sync_exports(session, settings).published == 3
    assert sync_exports(session, settings).published == 0
    later = clock.now() + settings.lease - settings.renew_before
    assert sync_exports(session, settings, now=later).published == 3


def test_leaving_the_network_sends_tombstones_and_cancels_pending_requests(
        session, create_member, approved_peers, settings):
    approved_peers(B, C)
    members = accountants(create_member, 4)
    sync_exports(session, settings)
    leaving = members[0]
    alias = session.scalar(select(DirectoryExport.pseudonym).where(
        DirectoryExport.member_id == leaving.id, DirectoryExport.peer_node_id == B))
    from node.network.introductions import receive_request
    receive_request(session, B, {"content": {
        "request_id": f"{B}/intro/1", "pseudonym": alias, "message": "Bonjour",
        "requester": {"display_name": "Bob", "space": "Espace B", "email": "bob@b.example"}}})
    session.commit()
    assert network_export.peers_holding(session, leaving)

    leaving.visibility = "space"
    session.commit()
    report = sync_exports(session, settings)
    session.commit()
    assert report.withdrawn == 2 and report.withdrawn_members == {leaving.id}
    from node.network.introductions import cancel_incoming_for
    cancel_incoming_for(session, report.withdrawn_members)
    session.commit()
    for peer in (B, C):
        tombstones = [i for i in directory_items(session, peer) if i["deleted"]]
        assert len(tombstones) == 1 and "content" not in tombstones[0]
        assert len(live_contents(session, peer)) == 3
    assert network_export.peers_holding(session, leaving) == []
    assert session.scalar(select(Introduction.status)) == "cancelled"


def test_a_new_epoch_retires_the_old_pseudonym(session, create_member, approved_peers, settings, clock):
    approved_peers(B)
    accountants(create_member, 3)
    sync_exports(session, settings)
    first = {c["pseudonym"] for c in live_contents(session, B)}
    next_epoch = clock.now() + timedelta(days=settings.epoch_days)
    sync_exports(session, settings, now=next_epoch)
    items = directory_items(session, B)
    assert len([i for i in items if i["deleted"]]) == 3
    assert not first & {c["pseudonym"] for c in live_contents(session, B)}


def test_an_erased_account_is_tombstoned_everywhere(session, create_member, approved_peers,
                                                    settings):
    approved_peers(B, C)
    members = accountants(create_member, 4)
    sync_exports(session, settings)
    session.commit()
    erased = members[0]
    session.delete(erased)
    session.commit()
    report = sync_exports(session, settings)
    session.commit()
    assert report.withdrawn == 2
    for peer in (B, C):
        assert len([i for i in directory_items(session, peer) if i["deleted"]]) == 1
        assert len(live_contents(session, peer)) == 3
    assert session.scalar(select(DirectoryExport).where(DirectoryExport.member_id.is_(None))) is None


def test_decomposed_accents_in_stored_names_are_exported_in_nfc(session, create_member,
                                                                approved_peers, settings):
    """Text stored before input was normalised (or by a script) must not break signing."""
    approved_peers(B)
    accountants(create_member, 2)
    member = create_member("nfd@example.org", skills=[("comptable", "confirme")],
                           visibility="network_named")
    member.display_name = "He\u0301le\u0300ne"  # combining accents, as some keyboards send them
    session.commit()
    sync_exports(session, settings)
    named = [c for c in live_contents(session, B) if c["named"]]
    assert [c["display_name"] for c in named] == ["Hélène"]
