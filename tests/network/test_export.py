"""What leaves the node: the export whitelist, the rare-skill rule, per-peer pseudonyms,
withdrawal. Feed items are read back from the node's own signed outbox."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from node.models import DirectoryExport, FeedEntry, Introduction, Member
from node.network import export as network_export
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
        # Contact fields shown to the space: they stay here too.
        contacts={"email": "sentinel-contact@zz-sentinel.example", "show_email": True,
                  "website": "https://zz-sentinel.example/site", "show_website": True,
                  "mastodon": "@sentinel@zz-sentinel.example", "show_mastodon": True},
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
    # An anonymous fragment carries no trade group: it would tie a person's fragments together.
    assert ours["open_to_help"] is True and ours["trade_group"] is None
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


def test_a_named_member_shares_exactly_the_skills_they_listed(session, create_member,
                                                               approved_peers, settings, app):
    """Named means consented to be identified: no generalisation, however rare the skill."""
    approved_peers(B)
    create_member("lea@example.org", display_name="Léa Potière", trade_id="accountant",
                  skills=[("céramique", "expert"), ("comptabilité", "confirme"), ("ébéniste", "debutant")],
                  visibility="network_named")
    sync_exports(session, settings)
    [entry] = live_contents(session, B)
    assert entry["named"] is True and entry["display_name"] == "Léa Potière"
    assert entry["place"] == {"kind": "space", "value": app.config["NODE_NAME"]}
    assert entry["trade_group"] == "finance-accounting"
    assert {(c["concept"], c["level_band"], c["generalised"]) for c in entry["concepts"]} == {
        ("ceramics", "expert", False), ("accounting", "confirmed", False),
        ("cabinetmaking", "beginner", False)}


def test_an_anonymous_member_is_shared_as_one_unlinkable_fragment_per_skill(
        session, create_member, approved_peers, settings):
    approved_peers(B, C)
    accountants(create_member, 3)
    member = create_member(skills=[("comptabilité", "expert"), ("traduction", "confirme"),
                                   ("plomberie", "debutant")], visibility="network_anonymous",
                           trade_id="accountant", languages=["fr", "en"])
    sync_exports(session, settings)
    rows = session.scalars(select(DirectoryExport).where(DirectoryExport.member_id == member.id,
                                                         DirectoryExport.peer_node_id == B)).all()
    assert sorted(row.part for row in rows) == ["accounting", "plumbing", "translation"]
    fragments = [c for c in live_contents(session, B) if c["pseudonym"] in {r.pseudonym for r in rows}]
    assert len(fragments) == 3 and len({c["pseudonym"] for c in fragments}) == 3
    assert all(len(c["concepts"]) == 1 and c["trade_group"] is None and c["named"] is False
               for c in fragments)
    # Every fragment has its own pseudonym at each peer too.
    at_c = {r.pseudonym for r in session.scalars(select(DirectoryExport).where(
        DirectoryExport.member_id == member.id, DirectoryExport.peer_node_id == C))}
    assert len(at_c) == 3 and not at_c & {r.pseudonym for r in rows}


def test_a_skill_rare_in_the_space_names_the_city_instead_of_the_space(
        session, create_member, approved_peers, settings, app):
    """Rare here (fewer than k opted-in holders): still shared, so the person can be found,
    but the fragment names a coarser place; a common skill names the space."""
    from node.models import Space
    session.add(Space(name=app.config["NODE_NAME"], city="Marseille", region="Provence",
                      base_url="http://x.test"))
    session.commit()
    approved_peers(B)
    accountants(create_member, 3)
    potter = create_member(skills=[("céramique", "expert"), ("comptabilité", "confirme")],
                           visibility="network_anonymous")
    drafts = {d.part: d for d in draft_entries(session, settings.k).values()
              if d.member_id == potter.id}
    assert (drafts["ceramics"].place_kind, drafts["ceramics"].place_value) == ("city", "Marseille")
    assert drafts["ceramics"].reasons == (network_export.RARE_HERE,)
    assert drafts["ceramics"].concepts == (("ceramics", "expert", False),)
    assert (drafts["accounting"].place_kind, drafts["accounting"].place_value) == (
        "space", app.config["NODE_NAME"])
    assert drafts["accounting"].reasons == ()


def test_each_peer_gets_its_own_order_and_one_lease_for_everything_it_holds(
        session, create_member, approved_peers, settings, clock):
    """Two colluding peers cannot pair entries by position in their feeds, nor by lease date."""
    approved_peers(B, C)
    languages = [["fr"], ["en"], ["es"], ["de"], ["it"], ["pt"], ["ar"], ["nl"], ["fr", "en"],
                 ["fr", "es"], ["en", "de"], ["fr", "ar"], ["en", "es"], ["fr", "it"]]
    members = [create_member(skills=[("comptabilité", "expert")], visibility="network_anonymous",
                             languages=langs) for langs in languages]
    sync_exports(session, settings, now=clock.now())
    session.commit()

    def order(recipient):
        rows = session.scalars(select(FeedEntry).where(FeedEntry.recipient == recipient)
                               .order_by(FeedEntry.seq))
        return [tuple(json.loads(r.item_json)["content"]["languages"]) for r in rows]

    assert sorted(order(B)) == sorted(order(C)) and order(B) != order(C)
    # One member changes later: their new fragment gets the lease every other entry has.
    later = clock.now() + timedelta(hours=5)
    members[0].open_to_paid = True
    session.commit()
    assert sync_exports(session, settings, now=later).published == 2
    for peer in (B, C):
        assert len({c["lease_until_ts"] for c in live_contents(session, peer)}) == 1


def test_at_a_new_epoch_every_new_entry_comes_before_every_retired_one(
        session, create_member, approved_peers, settings, clock):
    """Nothing pairs a tombstone with the entry that replaced it."""
    approved_peers(B)
    accountants(create_member, 6)
    sync_exports(session, settings, now=clock.now())
    session.commit()
    first_seq = session.scalar(select(FeedEntry.seq).order_by(FeedEntry.seq.desc()).limit(1))
    sync_exports(session, settings, now=clock.now() + timedelta(days=settings.epoch_days))
    session.commit()
    rows = session.scalars(select(FeedEntry).where(FeedEntry.recipient == B,
                                                   FeedEntry.seq > first_seq).order_by(FeedEntry.seq))
    kinds = [json.loads(r.item_json)["deleted"] for r in rows]
    assert kinds == [False] * 6 + [True] * 6


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


def test_the_member_sees_exactly_what_each_peer_holds_and_why(portal, session, create_member,
                                                              approved_peers, settings, app):
    from node.models import Space
    session.add(Space(name=app.config["NODE_NAME"], city="Marseille", region="Provence",
                      base_url="http://x.test"))
    session.commit()
    peer_b, peer_c = approved_peers(B, C)
    peer_b.name, peer_c.name = "La Fabrique du Cours", "Les Calanques"
    session.commit()
    accountants(create_member, 3)
    create_member("potter@example.org", skills=[("céramique", "expert"), ("comptabilité", "confirme"),
                                                 ("Sérigraphie artisanale", "expert")],
                  visibility="network_anonymous", languages=["fr", "it"])
    sync_exports(session, settings)
    session.commit()
    portal.login("potter@example.org")
    page = portal.get("/network/my-entry").get_data(as_text=True)
    for text in ("La Fabrique du Cours", "Les Calanques", "Cet espace détient 2 fiches sur vous",
                 "Céramique", "Comptabilité", "Un espace à Marseille", app.config["NODE_NAME"],
                 "italien", "Non (un pseudonyme)", "Moins de 3 membres de votre espace déclarent « Céramique »",
                 "Sérigraphie artisanale"):
        assert text in page, text
    assert page.count("Cet espace détient 2 fiches sur vous") == 2
    # The profile form leads there.
    assert "/network/my-entry" in portal.get("/profile").get_data(as_text=True)
