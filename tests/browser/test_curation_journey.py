"""The manager curates a free-text skill in a real Chromium: from the home's line to the page,
the concept picked by its French label, the member's profile showing the concept, then undone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import check_accessibility, screenshot, sign_in

pytestmark = pytest.mark.browser


def test_manager_maps_a_free_text_skill_then_undoes_it(marseille, new_page):
    marseille.create_member("cm-curation@example.org", display_name="Nadia", role="manager")
    member_id = marseille.create_member("potiere@example.org", display_name="Paule Potière")
    paule = new_page()
    sign_in(paule, marseille, "potiere@example.org")
    paule.goto(marseille.url + "/profile")
    paule.fill("#skill_label_0", "Kintsugi")
    paule.get_by_role("button", name="Enregistrer").click()
    expect(paule.locator("main")).to_contain_text("Kintsugi")

    manager = new_page()
    sign_in(manager, marseille, "cm-curation@example.org")
    manager.get_by_role("link", name="à classer").click()
    expect(manager.locator("h1")).to_have_text("Compétences à classer")
    row = manager.locator("tr", has_text="kintsugi")
    expect(row.locator("q")).to_have_text("Kintsugi")  # as she typed it
    check_accessibility(manager, "skills to curate")
    row.get_by_label("Rattacher au concept").fill("Céramique")
    screenshot(manager, "curation-01-picker")
    row.get_by_role("button", name="Rattacher", exact=True).click()
    expect(manager.get_by_role("status")).to_contain_text(
        "« kintsugi » devient « Céramique » pour 1 membre.")
    expect(manager.locator("#mappings + table")).to_contain_text("kintsugi")
    screenshot(manager, "curation-02-mapped")

    paule.goto(f"{marseille.url}/members/{member_id}")
    expect(paule.locator("main")).to_contain_text("Céramique")

    mapped = manager.locator("#mappings + table tr", has_text="kintsugi")
    mapped.locator("summary", has_text="Annuler").click()  # the question opens first
    mapped.get_by_role("button", name="Annuler").click()
    expect(manager.get_by_role("status")).to_contain_text("de nouveau en texte libre")
    expect(manager.locator("tr", has_text="kintsugi").get_by_label("Rattacher au concept")).to_be_visible()


def test_manager_proposes_a_concept_after_a_rejected_try(marseille, new_page):
    marseille.create_member("cm-proposal@example.org", display_name="Nadia", role="manager")
    marseille.create_member("dentelle@example.org", display_name="Dorian")
    dorian = new_page()
    sign_in(dorian, marseille, "dentelle@example.org")
    dorian.goto(marseille.url + "/profile")
    dorian.fill("#skill_label_0", "Dentelle aux fuseaux")
    dorian.get_by_role("button", name="Enregistrer").click()

    manager = new_page()
    sign_in(manager, marseille, "cm-proposal@example.org")
    manager.goto(marseille.url + "/admin/skills")
    row = manager.locator("tr", has_text="dentelle aux fuseaux")
    row.get_by_text("Proposer un nouveau concept").click()
    expect(row.get_by_label("Libellé français")).to_have_value("Dentelle aux fuseaux")
    row.get_by_label("Libellé français").fill("Comptabilité")  # already a concept: refused
    row.get_by_label("Libellé anglais").fill("Bobbin lace")
    row.get_by_label("Groupe du thésaurus").select_option("crafts")
    row.get_by_role("button", name="Proposer", exact=True).click()
    row = manager.locator("tr", has_text="dentelle aux fuseaux")
    expect(row.get_by_label("Libellé anglais")).to_have_value("Bobbin lace")  # kept as typed
    expect(row).to_contain_text("Un concept du thésaurus porte déjà ce nom")
    check_accessibility(manager, "skills to curate, rejected proposal")
    screenshot(manager, "curation-03-proposal-rejected")
    row.get_by_label("Libellé français").fill("Dentelle aux fuseaux")
    row.get_by_role("button", name="Proposer", exact=True).click()
    expect(manager.get_by_role("status")).to_contain_text("Le concept « Dentelle aux fuseaux » est proposé")
    expect(manager.locator("#proposals + p + table")).to_contain_text("Bobbin lace")
    expect(manager.get_by_role("link", name="Télécharger les propositions")).to_be_visible()
    screenshot(manager, "curation-04-proposed")
