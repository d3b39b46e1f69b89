"""Across two real peered nodes, in Chromium: an anonymous member of one space sees exactly what
the other space holds about her (one entry per skill, the rare one at city level), in French and
English, at desktop and phone width; a member of the other space finds her by a related skill
and sees the space's name and the languages by name on the card."""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import expect

from tests.network.test_live import add_member

from .conftest import check_accessibility, screenshot, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def two_spaces(live_nodes):
    aix, calanques = (live_nodes.add(name, {"PSEUDONYM_SECRET": secrets.token_hex(32),
                                            "NODE_CITY": city, "NODE_REGION": "Provence"})
                      for name, city in (("aix", "Aix-en-Provence"), ("calanques", "Marseille")))
    for i in range(3):
        add_member(aix, f"acc{i}@aix.example", f"Comptable {i}", skills=[("comptabilité", "expert")])
    add_member(aix, "lea@aix.example", "Léa Potière", languages=["fr", "it"],
               skills=[("céramique", "expert"), ("comptabilité", "confirme"), ("Raku artisanal", "expert")])
    add_member(calanques, "bob@calanques.example", "Bob Marin", skills=[], visibility="space")
    live_nodes.peer_all()
    calanques.sync()
    return aix, calanques


@pytest.mark.parametrize("locale,width", [("fr-FR", 1280), ("fr-FR", 390), ("en-GB", 1280), ("en-GB", 390)])
def test_a_member_sees_what_each_partner_space_holds(two_spaces, new_page, locale, width):
    aix, _calanques = two_spaces
    lea = new_page(locale)
    lea.set_viewport_size({"width": width, "height": 900})
    sign_in(lea, aix, "lea@aix.example")
    lea.goto(aix.url + "/profile")
    link = {"fr-FR": "Voir exactement ce que chaque espace partenaire détient sur moi",
            "en-GB": "See exactly what each partner space holds about me"}[locale]
    lea.get_by_role("link", name=link).click()
    main = lea.locator("main")
    if locale == "fr-FR":
        expect(main).to_contain_text("Cet espace détient 2 fiches sur vous")
        expect(main).to_contain_text("Un espace à Aix-en-Provence")
        expect(main).to_contain_text("Céramique")
        expect(main).to_contain_text("italien")
        expect(main).to_contain_text("Raku artisanal")  # stays in the space, listed as such
    else:
        expect(main).to_contain_text("This space holds 2 entries about you")
        expect(main).to_contain_text("A space in Aix-en-Provence")
        expect(main).to_contain_text("Ceramics")
        expect(main).to_contain_text("Italian")
    assert lea.evaluate("document.documentElement.scrollWidth") <= width + 1  # no sideways scroll
    check_accessibility(lea, f"my network entry {locale} {width}")
    screenshot(lea, f"18-my-entry-{locale}-{width}")


def test_what_people_type_finds_the_expert_and_the_card_names_the_space(two_spaces, new_page):
    _aix, calanques = two_spaces
    bob = new_page()
    sign_in(bob, calanques, "bob@calanques.example")
    bob.goto(calanques.url + "/network?q=expertise+comptable")
    cards = bob.locator(".card")
    expect(cards.first).to_contain_text("Coworking Aix")
    expect(cards.first).to_contain_text("Comptabilité")
    expect(bob.locator("main")).not_to_contain_text("Léa")
    bob.goto(calanques.url + "/network?q=poterie")
    expect(bob.locator(".card").first).to_contain_text("Un espace à Aix-en-Provence")
    expect(bob.locator(".card").first).to_contain_text("italien")
    check_accessibility(bob, "network results, a city-level fragment")
    screenshot(bob, "18-network-related")
