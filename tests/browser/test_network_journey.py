"""Across two real peered nodes: a member of one space finds an expert of another space in the
network search, asks for an introduction, and the expert accepts it on her own node."""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from node.models import Introduction, Member
from tests.network.test_live import add_member, wait_delivered

from .conftest import check_accessibility, screenshot, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def two_spaces(live_nodes):
    aix, calanques = (live_nodes.add(name, {"PSEUDONYM_SECRET": secrets.token_hex(32)})
                      for name in ("aix", "calanques"))
    live_nodes.peer_all()
    # Three accountants in Aix: a skill held by several people is shared (the rare-skill rule).
    experts = [add_member(aix, f"expert{i}@aix.example", f"Alice Expert{i}",
                          skills=[("expert-comptable", "expert")], languages=["fr"])
               for i in range(3)]
    add_member(calanques, "bob@calanques.example", "Bob Marin", skills=[], visibility="space")
    calanques.sync()
    return aix, calanques, experts


def test_network_search_then_introduction_accepted_on_the_other_node(two_spaces, new_page):
    aix, calanques, _experts = two_spaces
    bob = new_page()
    sign_in(bob, calanques, "bob@calanques.example")
    bob.goto(calanques.url + "/network")
    check_accessibility(bob, "network search")
    bob.get_by_label("Compétence (en français ou en anglais)").fill("comptabilite")
    bob.get_by_role("button", name="Rechercher").click()
    cards = bob.locator(".card")
    expect(cards).to_have_count(3)
    expect(cards.first).to_contain_text("Coworking Aix")
    expect(bob.locator("main")).not_to_contain_text("Alice")  # anonymous until accepted
    check_accessibility(bob, "network results")
    screenshot(bob, "10-network-search-results")

    first = cards.first
    first.locator("summary").click()
    first.get_by_label("Votre message").fill("Bonjour, j'ai besoin d'aide pour mon bilan.")
    first.get_by_role("button", name="Demander une mise en relation").click()
    expect(bob.locator("#main")).to_contain_text("en attente")
    wait_delivered(calanques)

    with aix.session() as session:
        request = session.scalars(select(Introduction).where(Introduction.direction == "incoming")).one()
        expert_email, with_id = session.get(Member, request.member_id).email, request.id
    alice = new_page()
    sign_in(alice, aix, expert_email)
    alice.goto(aix.url + "/network/introductions")
    received = alice.locator(f"#received-{with_id}")
    expect(received).to_contain_text("Bob Marin")
    check_accessibility(alice, "introductions")
    screenshot(alice, "11-introduction-received")
    received.get_by_role("button", name="Accepter").click()
    expect(alice.locator(f"#received-{with_id}")).to_contain_text("bob@calanques.example")
    wait_delivered(aix)

    bob.goto(calanques.url + "/network/introductions")
    expect(bob.locator("main")).to_contain_text(expert_email)
    screenshot(bob, "12-introduction-accepted")
