"""The network pass in a browser, on three live nodes: A and B agree on 2 days a month; a
member of A opens "Mon pass réseau" on a phone; B's manager opens the kiosk mode on a tablet,
which accepts the pass while A is stopped and reaches no other page; B's front desk shows the
visitor among who is here today; a third visit in the month is refused as over quota; after A
suspends the member and B syncs, the pass is refused; B's manager ends the kiosk; A's manager
sees the visits and the balance."""

from __future__ import annotations

import html
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from node.accounts import accounts
from node.models import Member, OutboxMessage, PassAgreement, PassVisit, Peer
from tests.conftest import MEMBER_PASSWORD, PortalClient

from .conftest import check_accessibility, screenshot, sign_in

pytestmark = pytest.mark.browser


def _member(node, email: str, name: str, role: str = "member") -> None:
    with node.session() as session:
        accounts.create_member(session, node.app.extensions["coworknet.passwords"], email=email,
                               display_name=name, password=MEMBER_PASSWORD, role=role)
        session.commit()


def _deliver(node) -> None:
    node.runtime.wait_for_background()
    with node.session() as session:  # a retry after the peer was unreachable comes due now
        session.execute(update(OutboxMessage).where(OutboxMessage.status == "pending").values(next_attempt_ms=0))
        session.execute(update(Peer).values(next_attempt_ms=0))
        session.commit()
    node.round()


def _code_of(node, email: str) -> str:
    portal = PortalClient(node.client())
    assert portal.login(email).status_code == 302
    found = re.search(r'data-testid="pass-code">([^<]+)<', portal.get("/pass").get_data(as_text=True))
    return html.unescape(found.group(1))


def _check(desk, node, code: str) -> None:
    desk.goto(node.url + "/kiosk")
    desk.get_by_label("Pass code (scanned or typed)").fill(code)
    desk.get_by_role("button", name="Check the pass").click()
    desk.wait_for_load_state()


def test_a_member_of_a_shows_the_pass_at_b_while_a_is_stopped(live_nodes, new_page):
    a, b, _c = live_nodes(3, names=["coque", "forge", "lyon"])
    live_nodes.peer_all()
    _member(a, "gerante@coque.example", "Gérante Coque", "manager")
    _member(b, "accueil@forge.example", "Accueil Forge", "manager")
    for email, name in (("zoe@coque.example", "Zoé Martin"), ("noe@coque.example", "Noé Roux"),
                        ("lea@coque.example", "Léa Vidal")):
        _member(a, email, name)

    manager_a = new_page("fr-FR")
    sign_in(manager_a, a, "gerante@coque.example")
    manager_a.goto(a.url + "/admin/passes")
    manager_a.locator("#peer").select_option(b.url)
    manager_a.fill("#offerer_members_days", "2")
    manager_a.fill("#answerer_members_days", "2")
    manager_a.get_by_role("button", name="Proposer").click()
    expect(manager_a.get_by_text("proposé par nous, en attente")).to_be_visible()
    _deliver(a)

    manager_b = new_page("en-GB")
    sign_in(manager_b, b, "accueil@forge.example")
    manager_b.goto(b.url + "/admin/passes")
    manager_b.get_by_role("button", name="Accept").click()
    expect(manager_b.get_by_text("in force")).to_be_visible()
    _deliver(b)
    with a.session() as session:
        assert session.scalar(select(PassAgreement.status)) == "active"

    zoe = new_page("fr-FR")
    zoe.set_viewport_size({"width": 390, "height": 844})
    sign_in(zoe, a, "zoe@coque.example")
    zoe.goto(a.url + "/pass")
    expect(zoe.get_by_role("heading", name="Mon pass réseau")).to_be_visible()
    expect(zoe.locator(".pass-qr svg")).to_be_visible()
    zoe.get_by_label("Montrer mon nom à l’espace d’accueil (sinon un pseudonyme)").check()
    zoe.get_by_role("button", name="Renouveler mon pass avec ces choix").click()
    code = zoe.get_by_test_id("pass-code").inner_text()
    assert zoe.evaluate("document.documentElement.scrollWidth") <= 390
    check_accessibility(zoe, "pass-mine-phone")
    screenshot(zoe, "pass-mine-phone")
    others = [_code_of(a, "noe@coque.example"), _code_of(a, "lea@coque.example")]

    a.stop()  # the issuing space is offline: the desk checks with the key it pinned
    desk = new_page("en-GB")
    desk.set_viewport_size({"width": 800, "height": 1100})
    sign_in(desk, b, "accueil@forge.example")
    desk.goto(b.url + "/admin/passes/desk")
    desk.get_by_role("button", name="Open the kiosk mode on this device").click()
    expect(desk.get_by_role("heading", name="Welcome! Show your network pass")).to_be_visible()
    _check(desk, b, code)
    outcome = desk.get_by_test_id("desk-outcome")
    expect(outcome).to_contain_text("Accepted")
    expect(outcome).to_contain_text("Zoé Martin")
    check_accessibility(desk, "pass-desk-kiosk")
    screenshot(desk, "pass-desk-kiosk")
    desk.goto(b.url + "/admin/passes")  # the kiosk reaches no other page
    assert desk.url == b.url + "/kiosk"
    expect(desk.get_by_text("Kiosk mode: network passes only")).to_be_visible()
    _check(desk, b, others[0])
    expect(desk.get_by_test_id("desk-outcome")).to_contain_text("Accepted")
    _check(desk, b, others[1])
    expect(desk.get_by_test_id("desk-outcome")).to_contain_text("used up")
    with b.session() as session:
        assert len(session.scalars(select(PassVisit)).all()) == 2
    front = new_page("fr-FR")
    front.set_viewport_size({"width": 390, "height": 844})
    sign_in(front, b, "accueil@forge.example")
    front.goto(b.url + "/admin/passes/desk")
    here = front.get_by_test_id("who-is-here")
    expect(here.get_by_test_id("visitor")).to_have_count(2)
    expect(here.get_by_test_id("visitor").first).to_contain_text("Zoé Martin")
    expect(here.get_by_test_id("visitor").first).to_contain_text("de passage, de")
    assert front.evaluate("document.documentElement.scrollWidth") <= 390
    check_accessibility(front, "pass-desk-phone")
    screenshot(front, "pass-desk-phone")

    a.start()
    _deliver(b)  # the visit records reach A
    with a.session() as session:
        zoe_id = session.scalar(select(Member.id).where(Member.email == "zoe@coque.example"))
        assert len(session.scalars(select(PassVisit).where(PassVisit.direction == "made")).all()) == 2
    zoe.reload()
    expect(zoe.get_by_text("Aucune visite pour l’instant.")).to_have_count(0)

    suspend = PortalClient(a.client())
    suspend.login("gerante@coque.example")
    assert suspend.post(f"/admin/members/{zoe_id}/status", {"status": "suspended", "confirm": "1"}).status_code == 302
    a.runtime.wait_for_background()
    b.sync()
    _check(desk, b, code)
    expect(desk.get_by_test_id("desk-outcome")).to_contain_text("withdrawn")
    front.reload()
    front.get_by_role("button", name="Arrêter cette borne").click()
    expect(front.get_by_text("La borne est arrêtée")).to_be_visible()
    desk.goto(b.url + "/kiosk")
    assert desk.url.startswith(b.url + "/login")

    manager_a.goto(a.url + "/admin/passes")
    row = manager_a.get_by_test_id("balance-row")
    expect(row).to_contain_text("2 / 2")
    expect(row).to_contain_text("-2")
    screenshot(manager_a, "pass-admin-balance")
