"""Events and the manager's dashboard in the portal of one space."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from node.accounts import accounts
from node.db import db
from node.events import events

from .conftest import check_accessibility, screenshot, sign_in

pytestmark = pytest.mark.browser


def publish_event(node, manager_email: str, now: datetime, **values) -> int:
    """An event five days after ``now`` (the test's clock: unpinned, the system clock that the
    served node reads too), published by the manager."""
    start = now + timedelta(days=5)
    with node.app.app_context():
        manager = accounts.find_by_email(db.session, manager_email)
        event = events.create_event(db.session, manager, {
            "title": "Atelier facturation", "type": "atelier", "start_at": start,
            "end_at": start + timedelta(hours=2), "status": "published", "audience": "space",
            **values}, now)
        db.session.commit()
        return event.id


def test_registration_then_waitlist_for_a_full_event(marseille, new_page, clock):
    marseille.create_member("cm-events@example.org", display_name="Clara", role="manager")
    marseille.create_member("nina@example.org", display_name="Nina")
    marseille.create_member("omar@example.org", display_name="Omar")
    event_id = publish_event(marseille, "cm-events@example.org", clock.now(), capacity=1)

    nina = new_page()
    sign_in(nina, marseille, "nina@example.org")
    nina.goto(marseille.url + "/events")
    check_accessibility(nina, "agenda")
    nina.get_by_role("link", name="Atelier facturation").first.click()
    expect(nina).to_have_url(re.compile(rf"/events/{event_id}(#.*)?$"))
    check_accessibility(nina, "event")
    # Apostrophes differ between catalogs (’ or '): match either.
    nina.get_by_role("button", name=re.compile(r"^M.inscrire$")).click()
    expect(nina.locator("main")).to_contain_text("Vous êtes inscrit·e.")
    screenshot(nina, "13-event-registered")

    omar = new_page()
    sign_in(omar, marseille, "omar@example.org")
    omar.goto(f"{marseille.url}/events/{event_id}")
    omar.get_by_role("button", name=re.compile(r"^M.inscrire en liste d.attente$")).click()
    expect(omar.locator("main")).to_contain_text("liste d’attente")
    screenshot(omar, "14-event-waitlist")


def test_manager_dashboard(marseille, new_page):
    marseille.create_member("cm-dash@example.org", display_name="Dora", role="manager")
    manager = new_page()
    sign_in(manager, marseille, "cm-dash@example.org")
    manager.goto(marseille.url + "/admin/connector/engagement")
    expect(manager.locator("h1")).to_be_visible()
    expect(manager.locator("main svg").first).to_be_visible()
    check_accessibility(manager, "engagement dashboard")
    screenshot(manager, "15-manager-dashboard")
    # Members cannot open it.
    marseille.create_member("pat@example.org", display_name="Pat")
    member = new_page()
    sign_in(member, marseille, "pat@example.org")
    response = member.goto(marseille.url + "/admin/connector/engagement")
    assert response.status == 403
