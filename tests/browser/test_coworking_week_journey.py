"""A Coworking Week across three peered nodes: a member of Aix registers from her own portal
for a session hosted in Fontainebleau (Bleau); the host's manager sees her in the attendees."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from node.models import Peer, Registration
from tests.regional.conftest import add_member, wait_delivered, week  # noqa: F401 - fixture

from .conftest import check_accessibility, screenshot, sign_in

pytestmark = pytest.mark.browser


def test_registration_for_a_session_hosted_on_another_node(week, new_page):  # noqa: F811
    aix, bleau, _calanques = week.nodes
    add_member(aix, "alice@aix.example", "Alice Martin")
    add_member(bleau, "cm@bleau.example", "Basile", role="manager")

    alice = new_page()
    sign_in(alice, aix, "alice@aix.example")
    alice.goto(f"{aix.url}/regional/{week.regional_on(aix)}")
    session = alice.locator(f"li[data-session='{week.sessions['bleau']}']")
    expect(session).to_contain_text("Meetup freelances")
    check_accessibility(alice, "coworking week program")
    session.get_by_label("Partager mon e-mail avec", exact=False).check()
    session.get_by_role("button", name=re.compile(r"^M.inscrire$")).click()
    wait_delivered(aix, bleau)
    alice.goto(f"{aix.url}/regional/mine")
    row = alice.locator(f"li[data-session='{week.sessions['bleau']}']")
    expect(row.locator(".reg-status")).to_have_attribute("data-status", "confirmed")
    check_accessibility(alice, "my coworking week registrations")
    screenshot(alice, "16-coworking-week-registered-elsewhere")

    with bleau.session() as db_session:
        occurrence_id = db_session.scalar(select(Registration.occurrence_id))
    host = new_page()
    sign_in(host, bleau, "cm@bleau.example")
    host.goto(f"{bleau.url}/events/admin/occurrences/{occurrence_id}")
    expect(host.locator("main")).to_contain_text("Alice Martin")
    with bleau.session() as db_session:  # registered from another node: shown by its space's name
        aix_name = db_session.scalar(select(Peer.name).where(Peer.node_id == aix.url))
    assert aix_name
    expect(host.locator("main")).to_contain_text(f"Alice Martin ({aix_name})")
    expect(host.locator("main")).not_to_contain_text(aix.url)
    screenshot(host, "17-coworking-week-host-attendees")
