"""The home page as a visitor and as a member, a sign-up that does not reveal an existing
account, and a Markdown bio (whose <script> stays text), in a real Chromium at desktop and
phone widths."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from node.accounts import accounts
from node.db import db
from node.events import events, registrations
from node.events.registrations import Registrant
from node.regional import regional
from tests.conftest import MEMBER_PASSWORD

from .conftest import check_accessibility, screenshot, sign_in

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def _arrange(node, manager_email: str, title: str, *, week: str | None = None, audience="public"):
    """A published event in three days (and a public Coworking Week when ``week`` is given)."""
    now = datetime.now(UTC)  # a node in a thread runs on the system clock
    with node.app.app_context():
        manager = accounts.find_by_email(db.session, manager_email)
        start = now + timedelta(days=3)
        event = events.create_event(db.session, manager, {
            "title": title, "type": "atelier", "start_at": start, "end_at": start + timedelta(hours=2),
            "status": "published", "audience": audience, "capacity": 8}, now)
        regional_id = None
        if week:
            regional_id = regional.create_regional(db.session, manager, {
                "title": week, "starts_at": now + timedelta(days=1), "ends_at": now + timedelta(days=8),
                "visibility": "public", "timezone": "Europe/Paris"}, now).id
        db.session.commit()
        return event.occurrences[0].id, regional_id


def test_visitor_home_shows_the_next_public_events_and_the_coworking_week(marseille, new_page):
    marseille.create_member("cm-home@example.org", display_name="Inès", role="manager")
    _occurrence, week_id = _arrange(marseille, "cm-home@example.org", "Atelier facturation",
                                    week="Semaine du coworking provençale")
    visitor = new_page()
    visitor.goto(marseille.url + "/")
    events_part = visitor.get_by_role("region", name="Prochains événements publics")
    expect(events_part.get_by_role("link", name="Atelier facturation")).to_be_visible()
    expect(events_part).to_contain_text("8 places restantes")
    expect(visitor.get_by_role("link", name="Demander à rejoindre la communauté")).to_be_visible()
    check_accessibility(visitor, "home (visitor)")
    screenshot(visitor, "home-visitor")
    visitor.set_viewport_size(PHONE)
    check_accessibility(visitor, "home (visitor, phone)")
    screenshot(visitor, "home-visitor-phone")
    assert visitor.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    visitor.get_by_role("link", name="Voir le programme").click()
    expect(visitor.locator("h1")).to_have_text("Semaine du coworking provençale")
    assert visitor.url.endswith(f"/regional/{week_id}")


def test_member_home_shows_the_profile_checklist_and_next_events(marseille, new_page):
    marseille.create_member("cm-home2@example.org", display_name="Inès", role="manager")
    member_id = marseille.create_member("zelie-home@example.org", display_name="Zélie H.")
    occurrence_id, _week = _arrange(marseille, "cm-home2@example.org", "Apéro des voisins", audience="space")
    with marseille.app.app_context():
        zelie = db.session.get(accounts.Member, member_id)
        registrations.register(db.session, occurrence_id, Registrant.local(zelie), datetime.now(UTC), viewer=zelie)
        db.session.commit()

    page = new_page()
    sign_in(page, marseille, "zelie-home@example.org")
    page.goto(marseille.url + "/")
    todo = page.get_by_role("region", name="Complétez votre profil")
    expect(todo).to_contain_text("Au moins trois compétences")
    expect(todo.locator("progress")).to_be_visible()
    mine = page.get_by_role("region", name="Mes prochains événements")
    expect(mine.get_by_role("link", name="Apéro des voisins")).to_be_visible()
    expect(mine).to_contain_text("inscrit·e")
    check_accessibility(page, "home (member)")
    screenshot(page, "home-member")
    todo.get_by_role("link", name="Un moyen de vous joindre, affiché aux membres").click()
    expect(page.locator("#contacts")).to_be_visible()
    page.set_viewport_size(PHONE)
    page.goto(marseille.url + "/")
    check_accessibility(page, "home (member, phone)")
    screenshot(page, "home-member-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_sign_up_with_an_existing_address_answers_like_a_new_one_and_mails_the_owner(marseille, new_page):
    marseille.create_member("owner-home@example.org", display_name="Odile P.")
    pages = []
    for email in ("brand-new-home@example.org", "owner-home@example.org"):
        visitor = new_page()
        visitor.goto(marseille.url + "/signup")
        visitor.fill("#email", email)
        visitor.fill("#display_name", "Quelqu’un")
        visitor.fill("#password", MEMBER_PASSWORD)
        visitor.fill("#password_confirm", MEMBER_PASSWORD)
        visitor.get_by_label("J’ai lu et j’accepte la politique de confidentialité").check()
        visitor.get_by_role("button", name="Envoyer ma demande").click()
        pages.append((visitor.locator("main").inner_text(), visitor.title()))
    assert pages[0] == pages[1]
    assert marseille.member_status("brand-new-home@example.org") == "pending"
    mails = [m for m in marseille.outbox if m.to == "owner-home@example.org"]
    assert len(mails) == 1 and "Quelqu’un a tenté de créer un compte" in mails[0].subject


def test_a_markdown_bio_renders_and_its_script_does_not_run(marseille, new_page):
    marseille.create_member("bio-home@example.org", display_name="Basile M.")
    page = new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in(page, marseille, "bio-home@example.org")
    page.goto(marseille.url + "/profile")
    page.fill("#bio", "Je fais du **montage vidéo** pour [les associations](https://example.org).\n\n"
                      "<script>alert('bio')</script>\n\n- documentaires\n- clips")
    page.fill("#contact_phone", "04 91 00 11 22")
    page.get_by_label("afficher aux membres de mon espace (Téléphone)").check()
    page.get_by_role("button", name="Enregistrer").click()
    bio = page.locator(".bio")
    expect(bio.locator("strong")).to_have_text("montage vidéo")
    expect(bio.locator("li")).to_have_count(2)
    expect(bio.get_by_role("link", name="les associations")).to_have_attribute("rel", "nofollow ugc noopener")
    expect(bio).to_contain_text("<script>alert('bio')</script>")  # shown as text
    assert page.locator(".bio script").count() == 0 and dialogs == []
    expect(page.locator(".visibility")).to_contain_text("Qui voit mon profil")
    expect(page.get_by_role("link", name="04 91 00 11 22")).to_have_attribute("href", "tel:0491001122")
    check_accessibility(page, "profile with bio and contacts")
    screenshot(page, "profile-bio-contacts")
