"""Events as people know them from Meetup or Mobilizon: a visitor registers with an e-mail link,
the manager builds a series with the recurrence form, the agenda shows badges and folds the
series; the events pages walked as member and manager, French and English, 1280 and 390 px
(screenshots in test-artifacts/screenshots/events-ux-*, and in $COWORKNET_EVENT_SHOTS)."""

from __future__ import annotations

import os
import re
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from node.accounts import accounts
from node.db import db
from node.events import events, registrations
from node.events.registrations import Registrant

from .conftest import check_accessibility, screenshot, sign_in

pytestmark = pytest.mark.browser
#: Also copy this journey's screenshots to a folder of one's choice (e.g. /tmp/shots-events).
SHOTS = os.environ.get("COWORKNET_EVENT_SHOTS", "")
PARIS = ZoneInfo("Europe/Paris")


def shot(page, name: str) -> None:
    path = screenshot(page, f"events-ux-{name}")
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(SHOTS) / path.name)


def _event(node, manager_email: str, now, **values) -> int:
    start = values.pop("start_at", now + timedelta(days=4))
    with node.app.app_context():
        manager = accounts.find_by_email(db.session, manager_email)
        event = events.create_event(db.session, manager, {
            "title": "Atelier", "type": "atelier", "start_at": start, "end_at": start + timedelta(hours=2),
            "status": "published", "audience": "space", **values}, now)
        db.session.commit()
        return event.id


def _register(node, email: str, event_id: int, now, *, index: int = 0) -> None:
    with node.app.app_context():
        member = accounts.find_by_email(db.session, email)
        occurrence = events.get_event(db.session, event_id, member).occurrences[index]
        registrations.register(db.session, occurrence.id, Registrant.local(member), now, viewer=member,
                               is_listed=True)
        db.session.commit()


def test_a_visitor_registers_without_an_account_by_the_link_in_the_mail(marseille, new_page, clock):
    marseille.create_member("cm-guests@example.org", display_name="Gaëlle", role="manager")
    event_id = _event(marseille, "cm-guests@example.org", clock.now(), title="Soirée jeux ouverte",
                      type="soiree_jeux", audience="public", capacity=12)
    visitor = new_page()
    visitor.goto(f"{marseille.url}/events/{event_id}")
    visitor.get_by_text("Pas de compte ? Inscrivez-vous avec votre e-mail").click()
    visitor.get_by_label("Votre nom").fill("Camille Passant")
    visitor.get_by_label("Votre adresse e-mail").fill("camille.passant@example.net")
    shot(visitor, "guest-form")
    visitor.locator("details.guest").get_by_role("button", name=re.compile(r"^M.inscrire$")).click()
    expect(visitor.locator("main")).to_contain_text("Presque fini")
    check_accessibility(visitor, "event page after a guest request")

    mail = [m for m in marseille.outbox if m.to == "camille.passant@example.net"][-1]
    link = re.search(r"http://\S+/events/guest/confirm/\S+", mail.body).group(0)
    visitor.goto(link)
    expect(visitor.locator("main")).to_contain_text("Camille Passant")
    shot(visitor, "guest-confirm")
    visitor.get_by_role("button", name="Confirmer mon inscription").click()
    expect(visitor.locator(".reg-status")).to_have_attribute("data-status", "confirmed")
    check_accessibility(visitor, "guest registration")
    shot(visitor, "guest-registered")

    manager = new_page()
    sign_in(manager, marseille, "cm-guests@example.org")
    manager.goto(f"{marseille.url}/events/{event_id}")
    manager.get_by_role("link", name="Inscrits et présences").first.click()
    expect(manager.locator("main")).to_contain_text("Camille Passant")
    expect(manager.locator("main")).to_contain_text("invité·e, sans compte")
    # Attendance for everyone at once: tick all, untick nobody, save.
    manager.get_by_role("link", name="Cocher tout le monde présent").click()
    manager.get_by_role("button", name="Enregistrer les présences").click()
    expect(manager.locator("main")).to_contain_text("Présences enregistrées : 1 personne présente.")
    shot(manager, "attendance-sheet")


def test_the_recurrence_form_makes_the_expected_dates_and_the_agenda_folds_them(marseille, new_page, clock):
    marseille.create_member("cm-series@example.org", display_name="Sacha", role="manager")
    manager = new_page()
    sign_in(manager, marseille, "cm-series@example.org")
    manager.goto(marseille.url + "/events/admin/new")
    first = (clock.now() + timedelta(days=8)).astimezone(PARIS).date()
    first += timedelta(days=(1 - first.weekday()) % 7)  # a Tuesday
    manager.get_by_label("Titre").fill("Café des indépendants")
    manager.locator("#start_at").fill(f"{first.isoformat()}T09:00")
    manager.locator("#end_at").fill(f"{first.isoformat()}T10:30")
    manager.get_by_label("Répéter cet événement").select_option("weekly")
    manager.get_by_label("mardi").check()
    manager.get_by_label("jeudi").check()
    manager.get_by_label("Après un nombre de dates").check()
    manager.get_by_label("Nombre de dates", exact=True).fill("4")
    shot(manager, "recurrence-form")
    check_accessibility(manager, "event form")
    manager.get_by_role("button", name="Enregistrer").click()
    expect(manager.locator("h1")).to_have_text("Café des indépendants")
    starts = manager.locator("section[id^=occurrence] h3 time").evaluate_all(
        "nodes => nodes.map(n => n.getAttribute('datetime'))")
    local = [datetime.fromisoformat(s).astimezone(PARIS) for s in starts]
    assert [(d.date(), d.strftime("%H:%M")) for d in local] == [
        (first + timedelta(days=offset), "09:00") for offset in (0, 2, 7, 9)]
    expect(manager.locator("main")).to_contain_text("Événement récurrent : chaque mardi et jeudi")

    manager.goto(marseille.url + "/events")
    line = manager.locator("li.series", has_text="Café des indépendants")
    expect(line).to_have_count(1)
    expect(line).to_contain_text("Chaque mardi et jeudi, prochaine date le")
    expect(line).to_contain_text("et 3 autres dates")
    shot(manager, "agenda-series-folded")


def test_badges_and_the_events_pages_in_both_languages_at_two_widths(marseille, new_page, clock):
    marseille.create_member("cm-walk@example.org", display_name="Morgane", role="manager")
    marseille.create_member("ines-walk@example.org", display_name="Inès Walk")
    marseille.create_member("tom-walk@example.org", display_name="Tom Walk")
    now = clock.now()
    full = _event(marseille, "cm-walk@example.org", now, title="Atelier complet", capacity=1,
                  start_at=now + timedelta(days=2))
    _register(marseille, "tom-walk@example.org", full, now)
    mine = _event(marseille, "cm-walk@example.org", now, title="Apéro où je vais", type="aperitif",
                  capacity=20, start_at=now + timedelta(days=3))
    _register(marseille, "ines-walk@example.org", mine, now)
    _register(marseille, "tom-walk@example.org", mine, now)
    _event(marseille, "cm-walk@example.org", now, title="Petit-déj hebdo", type="journee_coworking",
           capacity=8, rrule="FREQ=WEEKLY;COUNT=10", start_at=now + timedelta(days=1))

    member = new_page()
    sign_in(member, marseille, "ines-walk@example.org")
    member.goto(marseille.url + "/events")
    expect(member.locator("li", has_text="Atelier complet").first.locator(".badge-full")).to_have_text("Complet")
    expect(member.locator("li", has_text="Apéro où je vais").first.locator(".badge-mine")).to_have_text("Inscrit·e")
    expect(member.locator("li.series", has_text="Petit-déj hebdo")).to_contain_text("8 places restantes")
    member.goto(f"{marseille.url}/events/{mine}")
    expect(member.locator(".going")).to_contain_text("Inès Walk")

    manager = new_page()
    sign_in(manager, marseille, "cm-walk@example.org")
    pages = {"member": (member, ["/events", f"/events/{mine}", f"/events/{full}", "/events/mine",
                                 "/events?view=month"]),
             "manager": (manager, ["/events", f"/events/{mine}", "/events/admin", "/events/admin/new"])}
    for who, (page, paths) in pages.items():
        for language in ("fr", "en"):
            page.context.set_extra_http_headers({"Accept-Language": language})
            page.goto(marseille.url + "/events")
            switch = page.get_by_role("button", name="English" if language == "en" else "Français")
            if switch.count():
                switch.first.click()
            expect(page.locator("html")).to_have_attribute("lang", language)
            for width in (1280, 390):
                page.set_viewport_size({"width": width, "height": 900})
                for path in paths:
                    response = page.goto(marseille.url + path)
                    assert response.status < 500, path
                    name = re.sub(r"[^a-z0-9]+", "-", path.strip("/").lower()) or "home"
                    shot(page, f"{who}-{language}-{width}-{name}")
                    # The admin pages' width at 390 px (the admin menu, wide tables) is the
                    # manager pages' own work; the portal's event pages are checked here.
                    if width == 390 and "/admin" not in path:
                        overflow = page.evaluate("document.documentElement.scrollWidth")
                        assert overflow <= 400, f"{path} is {overflow}px wide at 390px ({who}, {language})"
    member.set_viewport_size({"width": 1280, "height": 900})
    member.goto(marseille.url + "/events")
    check_accessibility(member, "agenda with badges")
