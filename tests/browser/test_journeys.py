"""What a person does in the portal, in a real Chromium against real nodes on loopback.

Each journey checks what the person sees, leaves a screenshot in test-artifacts/screenshots/
and runs axe-core on the pages it visits (no serious or critical violation)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import MEMBER_PASSWORD

from .conftest import check_accessibility, screenshot, sign_in

pytestmark = pytest.mark.browser


def test_sign_up_then_approval_by_the_manager(marseille, new_page):
    marseille.create_member("cm-signup@example.org", display_name="Inès", role="manager")
    visitor = new_page()
    visitor.goto(marseille.url + "/")
    expect(visitor.locator("h1")).to_have_text("La Coque Bleue")
    check_accessibility(visitor, "home")
    screenshot(visitor, "01-home-visitor")
    visitor.get_by_role("link", name="Rejoindre", exact=True).click()
    check_accessibility(visitor, "signup")
    visitor.fill("#email", "camille@example.org")
    visitor.fill("#display_name", "Camille D.")
    visitor.fill("#password", MEMBER_PASSWORD)
    visitor.fill("#password_confirm", MEMBER_PASSWORD)
    visitor.get_by_label("J’ai lu et j’accepte la politique de confidentialité").check()
    screenshot(visitor, "02-signup-form")
    visitor.get_by_role("button", name="Envoyer ma demande").click()
    expect(visitor.get_by_role("status")).to_contain_text("La Coque Bleue")
    assert marseille.member_status("camille@example.org") == "pending"
    assert any(mail.to == "cm-signup@example.org" for mail in marseille.outbox)

    # Before approval the door stays closed.
    sign_in(visitor, marseille, "camille@example.org")
    expect(visitor.get_by_role("alert")).to_contain_text("validation")

    manager = new_page()
    sign_in(manager, marseille, "cm-signup@example.org")
    manager.goto(marseille.url + "/admin/members?status=pending")
    check_accessibility(manager, "admin members")
    row = manager.locator("tr[data-member='camille@example.org']")
    screenshot(manager, "03-admin-pending-member")
    row.get_by_role("button", name="Valider").click()
    expect(manager.locator("tr[data-member='camille@example.org']")).to_have_count(0)  # left the list
    assert marseille.member_status("camille@example.org") == "active"

    sign_in(visitor, marseille, "camille@example.org")
    expect(visitor.locator("main")).to_contain_text("Bonjour Camille D.")
    screenshot(visitor, "04-home-member")


def test_profile_and_skills_then_found_in_the_directory(marseille, new_page):
    marseille.create_member("lea@example.org", display_name="Léa Comptable")
    marseille.create_member("yanis@example.org", display_name="Yanis")
    lea = new_page()
    sign_in(lea, marseille, "lea@example.org")
    lea.goto(marseille.url + "/profile")
    check_accessibility(lea, "profile edit")
    lea.fill("#headline", "Expert-comptable pour indépendants")
    lea.fill("#skill_label_0", "comptabilité")
    lea.select_option("#skill_level_0", "expert")
    lea.fill("#skill_label_1", "fiscalité")
    lea.get_by_label("Anglais").check()
    lea.get_by_label("aider d’autres membres").check()
    screenshot(lea, "05-profile-edit")
    lea.get_by_role("button", name="Enregistrer").click()
    expect(lea.locator("main")).to_contain_text("Expert-comptable pour indépendants")

    # Another member finds her without accents and by a related word.
    yanis = new_page()
    sign_in(yanis, marseille, "yanis@example.org")
    yanis.get_by_label("Trouver une compétence parmi les membres").fill("comptable")
    yanis.get_by_role("button", name="Rechercher").click()
    expect(yanis).to_have_url(re.compile(r"/directory\?q=comptable"))
    card = yanis.locator(".card", has_text="Léa Comptable")
    expect(card).to_be_visible()
    expect(card).to_contain_text("expert")
    check_accessibility(yanis, "directory")
    screenshot(yanis, "06-directory-search")
    card.get_by_role("link", name="Léa Comptable").click()
    expect(yanis.locator("main")).to_contain_text("Fiscalité")


def test_manager_suspends_and_reactivates_a_member(marseille, new_page):
    marseille.create_member("cm-admin@example.org", display_name="Manon", role="manager")
    marseille.create_member("hugo@example.org", display_name="Hugo")
    hugo = new_page()
    sign_in(hugo, marseille, "hugo@example.org")
    expect(hugo.locator("main")).to_contain_text("Bonjour Hugo")

    manager = new_page()
    sign_in(manager, marseille, "cm-admin@example.org")
    manager.get_by_role("link", name="Admin").click()
    row = manager.locator("tr[data-member='hugo@example.org']")
    row.locator("summary", has_text="Suspendre").click()  # the question opens first
    row.get_by_role("button", name="Suspendre").click()
    expect(manager.locator("tr[data-member='hugo@example.org']")).to_contain_text("suspendu")
    screenshot(manager, "07-admin-member-suspended")

    # Hugo's open session ends at once.
    hugo.goto(marseille.url + "/directory")
    expect(hugo).to_have_url(re.compile(r"/login"))

    manager.locator("tr[data-member='hugo@example.org']").get_by_role("button", name="Réactiver").click()
    sign_in(hugo, marseille, "hugo@example.org")
    expect(hugo.locator("main")).to_contain_text("Bonjour Hugo")


def test_language_switch_between_french_and_english(marseille, new_page):
    page = new_page("fr-FR")
    page.goto(marseille.url + "/login")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("h1")).to_have_text("Se connecter")
    check_accessibility(page, "login")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Sign in")
    expect(page).to_have_url(re.compile(r"/login"))
    screenshot(page, "08-login-english")
    page.get_by_role("button", name="Français").click()
    expect(page.locator("h1")).to_have_text("Se connecter")


def test_keyboard_reaches_the_skip_link_and_the_login_form(marseille, new_page):
    page = new_page()
    page.goto(marseille.url + "/login")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Aller au contenu")
    page.keyboard.press("Enter")
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "email":
            break
    assert page.evaluate("document.activeElement.id") == "email"
