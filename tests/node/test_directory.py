"""The space directory: accent-insensitive, stem-aware, thesaurus-aware search."""

from __future__ import annotations

import pytest


@pytest.fixture
def members(create_member):
    return {
        "anne": create_member(display_name="Anne Comptable", skills=[("comptable", "expert")],
                              languages=["fr", "en"], open_to_paid=True),
        "bruno": create_member(display_name="Bruno", skills=[("graphisme", "confirme")], languages=["fr"],
                               headline="Identités visuelles"),
        "chloe": create_member(display_name="Chloé", skills=[("traduction anglais-français", "expert")],
                               languages=["fr", "en", "de"], bio="Traductrice passionnée de littérature."),
        "dora": create_member(display_name="Dora", skills=[("ébénisterie", "expert")], status="suspended"),
    }


def names(portal, query: str) -> set[str]:
    page = portal.get("/directory?" + query).get_data(as_text=True)
    return {name for name in ("Anne Comptable", "Bruno", "Chloé", "Dora") if f">{name}</a>" in page}


@pytest.mark.parametrize("query", ["comptabilité", "comptabilite", "COMPTABLE", "accountant", "bookkeeping",
                                   "expert-comptable"])
def test_accounting_family_finds_the_accountant(portal, members, create_member, query):
    create_member("viewer@example.org")
    portal.login("viewer@example.org")
    assert names(portal, f"q={query}") == {"Anne Comptable"}


def test_graphiste_finds_graphisme(portal, members, create_member):
    create_member("viewer@example.org")
    portal.login("viewer@example.org")
    assert names(portal, "q=graphiste") == {"Bruno"}


def test_free_text_in_bio_is_stemmed(portal, members, create_member):
    create_member("viewer@example.org")
    portal.login("viewer@example.org")
    assert "Chloé" in names(portal, "q=traducteur")
    assert names(portal, "q=litterature") == {"Chloé"}


def test_filters_combine(portal, members, create_member):
    create_member("viewer@example.org")
    portal.login("viewer@example.org")
    assert names(portal, "language=de") == {"Chloé"}
    assert names(portal, "language=en&open_to_paid=on") == {"Anne Comptable"}


def test_suspended_members_are_hidden(portal, members, create_member):
    create_member("viewer@example.org")
    portal.login("viewer@example.org")
    assert names(portal, "q=ebeniste") == set()


def test_api_directory_search(client, members, api_token):
    response = client.get("/api/v1/members?q=comptabilite", headers=api_token(members["bruno"]))
    assert response.status_code == 200
    assert [m["display_name"] for m in response.json["items"]] == ["Anne Comptable"]
    assert "email" not in response.json["items"][0]
    bad = client.get("/api/v1/members?limit=100000", headers=api_token(members["bruno"]))
    assert bad.status_code == 422


@pytest.mark.parametrize("query", ["comptabel", "comptabilte", "fotographe", "litérrature"])
def test_misspelt_words_still_find_people(session, members, create_member, query):
    """The same typo tolerance as the network search: a misspelt skill (thesaurus) or a
    misspelt word of a profile (the words the space's profiles hold)."""
    from node.members.directory import DirectoryQuery, search_members

    create_member(display_name="Paul", skills=[("photographie", "expert")])
    found, _total = search_members(session, DirectoryQuery(text=query))
    expected = {"comptabel": "Anne Comptable", "comptabilte": "Anne Comptable",
                "fotographe": "Paul", "litérrature": "Chloé"}[query]
    assert [m.display_name for m in found][:1] == [expected]


def test_results_come_in_relevance_order_not_alphabetically(session, create_member):
    """Skill holders first (the expert before the beginner), then people whose skills hold the
    words, then people who only mention them in their headline or bio."""
    from node.members.directory import DirectoryQuery, search_members

    create_member(display_name="Aline", bio="J'aime la photographie de rue le dimanche.")
    create_member(display_name="Basile", headline="Photographie argentique en amateur")
    create_member(display_name="Zoé", skills=[("photographie", "expert")])
    create_member(display_name="Yves", skills=[("photographie", "debutant")])
    found, total = search_members(session, DirectoryQuery(text="photographie"))
    assert [m.display_name for m in found][:2] == ["Zoé", "Yves"]
    assert total == 4 and {m.display_name for m in found[2:]} == {"Aline", "Basile"}
