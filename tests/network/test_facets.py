"""Facet counts are bounded: they cover at most the ``facet_cap`` best-ranked matches, exactly
all of them when there are no more, and the result (API and portal, French and English) says
when the counts are capped."""

from __future__ import annotations

from datetime import datetime

from node.network import search as network_search
from node.network.search import NetworkQuery, search_network

from .test_export import remote_item

B = "https://b.example"


def copy(session, now: datetime, local: str, band: str, languages: list[str], place: str = "Espace B",
         **content) -> None:
    item = remote_item(B, local, "accounting", now=now, languages=languages,
                       place={"kind": "space", "value": place}, **content)
    item["content"]["concepts"] = [{"concept": "accounting", "level_band": band,
                                    "generalised": False}]
    network_search.apply_directory_item(session, None, item)
    session.commit()


def five_accountants(session, now: datetime) -> None:
    """Two experts who speak English (ranked first), three beginners who speak French."""
    copy(session, now, "x1", "expert", ["en"], place="Espace A")
    copy(session, now, "x2", "expert", ["en"], place="Espace A")
    for n in range(3):
        copy(session, now, f"b{n}", "beginner", ["fr"])


def test_counts_cover_every_match_when_they_fit_under_the_cap(session, clock):
    five_accountants(session, clock.now())
    for cap in (5, 1000):
        result = search_network(session, NetworkQuery(text="comptable"), facet_cap=cap)
        assert (result.facet_total, result.facets_capped) == (5, False)
        assert result.facets["language"] == {"fr": 3, "en": 2}
        assert result.facets["place"] == {"Espace B": 3, "Espace A": 2}


def test_beyond_the_cap_the_best_ranked_matches_are_counted_and_the_result_says_so(session, clock):
    five_accountants(session, clock.now())
    result = search_network(session, NetworkQuery(text="comptable"), facet_cap=3)
    assert (result.facet_total, result.facets_capped) == (3, True)
    # The two experts rank first, then one beginner.
    assert result.facets["language"] == {"en": 2, "fr": 1}
    assert result.facets["place"] == {"Espace A": 2, "Espace B": 1}
    # The results themselves are not cut by the facet cap.
    assert len(result.hits) == 5


def test_a_filter_narrows_the_counted_set_and_can_bring_it_under_the_cap(session, clock):
    five_accountants(session, clock.now())
    result = search_network(session, NetworkQuery(text="accountant", language="fr"), facet_cap=3)
    assert (result.facet_total, result.facets_capped) == (3, False)
    assert result.facets["language"] == {"fr": 3}
    result = search_network(session, NetworkQuery(text="accountant", place="Espace A"),
                            facet_cap=1)
    assert (result.facet_total, result.facets_capped) == (1, True)


def test_a_two_concept_query_counts_each_entry_once(session, clock):
    item = remote_item(B, "both", "accounting", now=clock.now(), languages=["de"])
    item["content"]["concepts"] = [
        {"concept": "accounting", "level_band": "expert", "generalised": False},
        {"concept": "photography", "level_band": "expert", "generalised": False},
    ]
    network_search.apply_directory_item(session, None, item)
    session.commit()
    five_accountants(session, clock.now())
    result = search_network(session, NetworkQuery(text="comptable photographe"), facet_cap=10)
    assert (result.facet_total, result.facets_capped) == (6, False)
    assert result.facets["language"] == {"fr": 3, "en": 2, "de": 1}


def test_free_text_facets_count_the_matches_not_only_the_page(session, clock):
    for n in range(4):
        copy(session, clock.now(), f"c{n}", "expert", ["fr"], named=True, display_name="Inès",
             headline="Atelier patrimoine, circuits courts")
    result = search_network(session, NetworkQuery(text="patrimoine", limit=1), facet_cap=10)
    assert len(result.hits) == 1
    assert (result.facet_total, result.facets_capped) == (4, False)
    assert result.facets["language"] == {"fr": 4}
    result = search_network(session, NetworkQuery(text="patrimoine"), facet_cap=2)
    assert (result.facet_total, result.facets_capped) == (2, True)


def test_the_api_and_the_portal_say_when_the_counts_are_capped(app, session, client, portal,
                                                                create_member, api_token, clock):
    five_accountants(session, clock.now())
    create_member("me@example.org")
    headers = api_token(create_member())
    answer = client.get("/api/v1/search?q=comptable", headers=headers).json
    assert (answer["facet_total"], answer["facets_capped"]) == (5, False)
    assert answer["facets"]["language"] == {"fr": 3, "en": 2}

    portal.login("me@example.org")
    french = "ne portent que sur les 3 correspondances les mieux classées"
    english = "cover the 3 best-ranked matches only"
    page = portal.get("/network?q=comptable").get_data(as_text=True)
    assert french not in page and english not in page

    app.extensions["coworknet.network.facet_cap"] = 3
    answer = client.get("/api/v1/search?q=comptable", headers=headers).json
    assert (answer["facet_total"], answer["facets_capped"]) == (3, True)
    assert answer["facets"]["language"] == {"en": 2, "fr": 1}
    for lang, note in (("fr", french), ("en", english)):
        portal.post("/lang", {"lang": lang, "next": "/network"})
        assert note in portal.get("/network?q=comptable").get_data(as_text=True)
