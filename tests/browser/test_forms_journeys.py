"""Confirmations, forms that keep what was typed, hosts running their events, and the manager's
pages at phone width, in Chromium."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from node.accounts import accounts
from node.db import db
from node.events import events, registrations
from node.events.registrations import Registrant
from node.federation.models import APPROVED, PENDING_APPROVAL, Peer

from .conftest import check_accessibility, screenshot, sign_in
from .test_events_dashboard_journeys import publish_event

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _register(node, event_id: int, email: str) -> None:
    with node.app.app_context():
        member = accounts.find_by_email(db.session, email)
        occurrence = events.get_event(db.session, event_id, member).occurrences[0]
        registrations.register(db.session, occurrence.id, Registrant.local(member), occurrence.start_at - timedelta(days=3),
                               viewer=member)
        db.session.commit()


def test_cancelling_an_event_asks_first_and_mails_the_reason(marseille, new_page, clock):
    marseille.create_member("cm-cancel@example.org", display_name="Clémence", role="manager")
    marseille.create_member("guest-cancel@example.org", display_name="Gaspard")
    event_id = publish_event(marseille, "cm-cancel@example.org", clock.now(), title="Apéro des voisins")
    _register(marseille, event_id, "guest-cancel@example.org")

    page = new_page()
    sign_in(page, marseille, "cm-cancel@example.org")
    page.goto(f"{marseille.url}/events/{event_id}")
    question = page.locator("details.confirm").filter(has_text="Annuler l’événement")
    question.locator("summary").click()
    question.get_by_label("Votre mot aux personnes inscrites (facultatif)").fill(
        "La salle est inondée : on se retrouve le mois prochain !")
    check_accessibility(page, "event cancellation question")
    screenshot(page, "forms-event-cancel-question")
    question.get_by_role("button", name="Annuler l’événement").click()
    expect(page.locator("main")).to_contain_text("Cet événement est annulé.")
    expect(page.locator(".cancel-reason")).to_contain_text("La salle est inondée : on se retrouve le mois prochain !")
    mails = [m for m in marseille.outbox if m.to == "guest-cancel@example.org" and "Apéro des voisins" in m.subject]
    assert mails and "La salle est inondée : on se retrouve le mois prochain !" in mails[-1].body


def test_the_needs_form_keeps_its_text_after_a_bad_budget(marseille, new_page):
    marseille.create_member("need-author@example.org", display_name="Nadia")
    page = new_page()
    sign_in(page, marseille, "need-author@example.org")
    page.goto(marseille.url + "/connector/needs")
    page.get_by_label("De quoi avez-vous besoin ?").fill("Une traductrice anglais → français pour notre site")
    page.get_by_label("Budget en € (facultatif)").fill("environ 500")
    page.get_by_role("button", name="Publier").click()
    budget = page.get_by_label("Budget en € (facultatif)")
    expect(budget).to_have_value("environ 500")
    expect(budget).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#budget-error")).to_contain_text("Écrivez le montant en chiffres")
    expect(page.get_by_label("De quoi avez-vous besoin ?")).to_have_value("Une traductrice anglais → français pour notre site")
    check_accessibility(page, "needs form refused")
    screenshot(page, "forms-needs-bad-budget")
    budget.fill("1.200")
    page.get_by_role("button", name="Publier").click()
    expect(page.locator("main")).to_contain_text("1 200,00 €")


def test_a_host_edits_their_event(marseille, new_page, clock):
    marseille.create_member("cm-host@example.org", display_name="Camille", role="manager")
    host_id = marseille.create_member("host@example.org", display_name="Hector")
    event_id = publish_event(marseille, "cm-host@example.org", clock.now(), title="Atelier Canva",
                             host_ids=[host_id])
    page = new_page()
    sign_in(page, marseille, "host@example.org")
    page.goto(f"{marseille.url}/events/{event_id}")
    page.get_by_role("link", name="Modifier").click()
    expect(page).to_have_url(re.compile(rf"/events/admin/{event_id}/edit$"))
    page.get_by_label("Titre").fill("Atelier Canva pour débuter")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("h1")).to_have_text("Atelier Canva pour débuter")
    screenshot(page, "forms-host-edited")


def _admin_world(node) -> None:
    if node.member_status("cm-phone@example.org") is not None:
        return  # the node lives for the session: arranged by the other language's run
    node.create_member("cm-phone@example.org", display_name="Maëlle Administratrice", role="manager")
    node.create_member("waiting-phone@example.org", display_name="Bartholomé Attente-Très-Longue", status="pending")
    node.create_member("active-phone@example.org", display_name="Aïcha Active")
    with node.app.app_context():
        db.session.add(Peer(node_id="https://coworking-de-la-grande-bibliotheque.example.org",
                            name="Coworking de la Grande Bibliothèque", city="Fontainebleau", status=APPROVED))
        db.session.add(Peer(node_id="https://ruche.example.org", name="La Ruche", status=PENDING_APPROVAL,
                            message="Bonjour, nous aimerions échanger nos annuaires."))
        db.session.commit()


@pytest.mark.parametrize("locale", ["fr-FR", "en-GB"])
def test_manager_pages_fit_a_phone_and_the_menu_folds(marseille, new_page, locale):
    _admin_world(marseille)
    page = new_page(locale)
    sign_in(page, marseille, "cm-phone@example.org")
    page.goto(marseille.url + "/admin/members")
    expect(page.locator("html")).to_have_attribute("lang", locale[:2])  # the browser's language
    urls = [a.get_attribute("href") for a in page.locator("nav.subnav-line a").all()]
    assert len(urls) >= 10

    # Desktop: the menu is one line, the folded one hidden.
    page.set_viewport_size(DESKTOP)
    screenshot(page, f"forms-desktop-{locale[:2]}-members")
    assert not page.locator("button.menu-toggle").is_visible()
    expect(page.locator("#main-menu a").first).to_be_visible()
    tops = page.locator("nav.subnav-line li").evaluate_all("items => items.map(i => i.offsetTop)")
    assert len(set(tops)) == 1
    assert not page.locator("nav.subnav-fold").is_visible()

    page.set_viewport_size(PHONE)
    too_wide = []
    for url in urls:
        page.goto(marseille.url + url)
        width = page.evaluate("document.documentElement.scrollWidth")
        outside = page.evaluate("""() => [...document.querySelectorAll('main button, main summary, main .button')]
            .filter(b => b.offsetParent !== null && !b.closest('details:not([open]) > :not(summary)'))
            .filter(b => { const r = b.getBoundingClientRect(); return r.right > 390 || r.left < 0; })
            .filter(b => !b.closest('table:not(.stack)'))
            .map(b => b.textContent.trim()).slice(0, 3)""")
        if width > 390 or outside:
            too_wide.append((url, width, outside))
        name = re.sub(r"\W+", "-", url.strip("/"))
        screenshot(page, f"forms-phone-{locale[:2]}-{name}")
    assert too_wide == []

    # The site's main menu folds behind its button at phone width; Escape folds it again.
    page.goto(marseille.url + "/admin/members")
    toggle = page.locator("button.menu-toggle")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    assert not page.locator("#main-menu").is_visible()
    header_height = page.locator("header.site").evaluate("h => h.offsetHeight")
    assert header_height < 90, header_height
    screenshot(page, f"forms-phone-{locale[:2]}-main-menu-folded")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#main-menu a").first).to_be_visible()
    check_accessibility(page, "main menu open at phone width")
    screenshot(page, f"forms-phone-{locale[:2]}-main-menu-open")
    page.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    assert not page.locator("#main-menu").is_visible()

    assert not page.locator("nav.subnav-line").is_visible()
    page.locator("nav.subnav-fold summary").click()
    expect(page.locator("nav.subnav-fold a").nth(3)).to_be_visible()
    check_accessibility(page, "members at phone width, menu open")
    screenshot(page, f"forms-phone-{locale[:2]}-menu-open")


#: What sticks out of a 390 px screen: the document's extra width and the elements past the
#: right edge (outside a box that scrolls by itself), to say what to fix.
OVERFLOW_JS = """() => {
  const extra = document.documentElement.scrollWidth - window.innerWidth;
  const scrolls = e => { for (let p = e.parentElement; p; p = p.parentElement) {
      const x = getComputedStyle(p).overflowX; if (x === 'auto' || x === 'scroll' || x === 'hidden') return true; }
    return false; };
  const out = [...document.querySelectorAll('body *')]
    .filter(e => e.offsetParent !== null && e.getBoundingClientRect().right > window.innerWidth + 1 && !scrolls(e))
    .map(e => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}${e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').join('.') : ''} ${Math.round(e.getBoundingClientRect().right)}`);
  return {extra, out: out.slice(0, 6)};
}"""


def _phone_world(node, now) -> dict:
    if node.member_status("cm-narrow@example.org") is None:
        node.create_member("cm-narrow@example.org", display_name="Maximilienne Grandes-Marges", role="manager")
        for n in range(3):
            node.create_member(f"annuaire-{n}@example.org", display_name=f"Personne avec un nom très long n°{n}")
    event_id = publish_event(node, "cm-narrow@example.org", now, title="Atelier de reliure japonaise pour débuter")
    return {"event_id": event_id}


@pytest.mark.parametrize("locale", ["fr-FR", "en-GB"])
def test_event_forms_and_the_directory_fit_a_phone(marseille, new_page, clock, locale):
    ids = _phone_world(marseille, clock.now())
    page = new_page(locale)
    page.set_viewport_size(PHONE)
    sign_in(page, marseille, "cm-narrow@example.org")
    too_wide = []
    for url in ("/events/admin/new", f"/events/admin/{ids['event_id']}/edit", "/directory",
                f"/events/{ids['event_id']}", "/events", "/events/admin/", "/regional/", "/account/"):
        page.goto(marseille.url + url)
        found = page.evaluate(OVERFLOW_JS)
        if found["extra"] > 1 or found["out"]:
            too_wide.append((url, found))
        screenshot(page, f"forms-phone-{locale[:2]}-{re.sub(r'[^a-z0-9]+', '-', url)}")
    assert too_wide == [], "\n".join(map(str, too_wide))
