"""Free-text search of names and headlines through the database's own full-text engine (FTS5
on SQLite, tsvector + GIN + unaccent on PostgreSQL): the same results on both backends, kept in
sync with the entries; and the search rate limit shared by every worker through the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, text

from node import create_app
from node.db import db
from node.models import NetworkEntry
from node.network import search as network_search
from node.network.models import NetworkSearchCount
from node.network.search import NetworkQuery, search_network, text_terms
from tests.conftest import TEST_SETTINGS

from .test_search import add_copy, keys_of


def named(session, now: datetime, local: str, headline: str, name: str = "Hanneke") -> NetworkEntry:
    return add_copy(session, now, local, [("photography", False)], named=True, display_name=name,
                    headline=headline)


def found(session, query: str, **filters) -> list[str]:
    return keys_of(search_network(session, NetworkQuery(text=query, **filters)))


def test_query_words_become_folded_stemmed_prefix_terms():
    assert text_terms("La Traductrice d'œuvres") == ["traduc", "oeuvr"]
    assert text_terms("the and of") == []


def test_headlines_are_found_with_or_without_accents_and_across_word_forms(session, clock):
    now = clock.now()
    ceramics = named(session, now, "cer", "Céramiste, tournage et émaillage")
    translator = named(session, now, "tra", "Traducteur technique allemand–français", name="Joana")
    add_copy(session, now, "anon", [("photography", False)])  # no name, no headline: not indexed
    assert found(session, "ceramiste") == [ceramics.object_id]
    assert found(session, "émaillage tournage") == [ceramics.object_id]
    assert found(session, "traduction allemand") == [translator.object_id]  # stem, prefix
    assert found(session, "Joana") == [translator.object_id]
    assert found(session, "céramiste allemand") == []  # every word must match
    result = search_network(session, NetworkQuery(text="Joana"))
    assert result.hits[0].matched == []  # a text hit shows no skill
    assert result.facets["place"] == {"Espace B": 1}


def test_concept_hits_come_first_then_text_hits_fill_up(session, clock):
    now = clock.now()
    by_concept = add_copy(session, now, "acc", [("accounting", False)])
    by_headline = named(session, now, "txt", "Comptable indépendante, TPE et associations")
    assert found(session, "comptable") == [by_concept.object_id, by_headline.object_id]


def test_the_index_follows_updates_and_deletions(session, clock):
    now = clock.now()
    entry = named(session, now, "cer", "Céramiste")
    entry.headline = "Ébéniste"
    session.commit()
    assert found(session, "ceramiste") == []
    assert found(session, "ebeniste")[-1] == entry.object_id
    # The owner withdraws the name: nothing of the old headline stays searchable.
    item_id = entry.object_id
    add_copy(session, now, "cer", [("photography", False)], named=False)
    assert item_id not in _text_only(session, now, "ebeniste")
    named(session, now, "cer", "Ébéniste")
    assert item_id in _text_only(session, now, "ebeniste")
    network_search.apply_directory_item(session, None, {"id": item_id, "deleted": True})
    session.commit()
    assert _text_only(session, now, "ebeniste") == []
    assert session.scalar(select(func.count()).select_from(NetworkEntry)) == 0


def _text_only(session, now: datetime, query: str) -> list[str]:
    where, params = network_search._filter_sql(NetworkQuery(text=query), None)
    ids = network_search._text_entries(session, query, where, params, 50, now)
    return [session.get(NetworkEntry, i).object_id for i in ids]


def test_own_members_are_found_by_headline_and_filters_apply(session, create_member, clock):
    member = create_member(display_name="Inès", headline="Sérigraphie et gravure",
                           skills=[("comptable", "expert")])
    remote = named(session, clock.now(), "gra", "Gravure sur bois", name="Bram")
    assert found(session, "gravure") == [f"local:{member.id}", remote.object_id]
    assert found(session, "gravure", language="de") == []
    assert found(session, "serigraphie") == [f"local:{member.id}"]


def test_text_hits_are_the_newest_matches_whether_few_or_many_lie_among_the_newest_rows(
        session, clock, monkeypatch):
    """Free text keeps the ``AND_SCAN`` newest matching entries. PostgreSQL reads the newest
    ``TEXT_WINDOW`` rows of its full-text table first and asks its GIN index only when they
    hold too few matches: both ways give the newest matches, as SQLite's FTS5 does."""
    now = clock.now()
    monkeypatch.setattr(network_search, "AND_SCAN", 2)
    monkeypatch.setattr(network_search, "TEXT_WINDOW", 3)
    old = [named(session, now, f"old{n}", "Gravure sur bois") for n in range(2)]
    newer = [named(session, now, f"new{n}", headline)
             for n, headline in enumerate(("Gravure", "Céramique", "Gravure", "Reliure"))]
    # The 3 newest rows (Reliure, Gravure, Céramique) hold one "gravure": too few, so the
    # index finds the two newest of all.
    assert _text_only(session, now, "gravure") == [newer[2].object_id, newer[0].object_id]
    # Now the 3 newest rows hold two: they are the newest two.
    latest = named(session, now, "new4", "Gravure et reliure")
    assert _text_only(session, now, "gravure") == [latest.object_id, newer[2].object_id]
    # None of the newest rows says "bois": the index finds the older ones.
    assert _text_only(session, now, "bois") == [old[1].object_id, old[0].object_id]


def test_the_full_text_index_is_the_backends_own(session):
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        sql = "SELECT count(*) FROM sqlite_master WHERE name = 'network_entries_fts'"
    else:
        sql = ("SELECT count(*) FROM pg_indexes WHERE indexname = "
               "'ix_network_entry_texts_search_tsv' AND indexdef LIKE '%gin%'")
    assert session.execute(text(sql)).scalar() == 1


def test_the_search_limit_is_shared_by_two_app_instances_on_one_database(
        app, database_url, tmp_path, create_member, api_token, session):
    app.config["NETWORK_SEARCHES_PER_MINUTE"] = 3
    other = create_app({**TEST_SETTINGS, "DATABASE_URL": database_url,
                        "INSTANCE_PATH": str(tmp_path / "other"), "NETWORK_SEARCHES_PER_MINUTE": 3})
    try:
        headers = api_token(create_member())
        clients = [app.test_client(), other.test_client()]
        # The first app read its limit at start-up; give both the same one.
        app.extensions["coworknet.network.limiter"].limit = 3
        codes = [clients[n % 2].get("/api/v1/search?q=comptable", headers=headers).status_code
                 for n in range(5)]
        assert codes == [200, 200, 200, 429, 429]
        body = clients[1].get("/api/v1/search?q=comptable", headers=headers).json
        assert body["error"]["code"] == "rate_limited"
        # A refused search is not counted; another member has their own allowance.
        assert session.scalar(select(func.sum(NetworkSearchCount.count))) == 3
        other_member = api_token(create_member())
        assert clients[1].get("/api/v1/search?q=comptable", headers=other_member).status_code == 200
    finally:
        db.engine(other).dispose()
