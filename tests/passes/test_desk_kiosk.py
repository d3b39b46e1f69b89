"""The front desk in one process: a good pass checks the visitor in and "who is here today"
shows them next to the members checked in, as each visitor chose to be shown; the kiosk mode
(a tablet that can only check passes, ended by a manager or on the tablet); an erased
member's passes are revoked on the feed."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from federation import passes as token
from federation.keys import KeyRecord, SigningKey
from node.accounts import accounts
from node.events import checkins
from node.federation.models import APPROVED
from node.models import FeedEntry, IssuedPass, PassAgreement, PassKiosk, PassVisit, Peer
from node.passes import issuing, visits
from node.passes.agreements import Terms
from node.passes.kiosk import LIFETIME
from node.uow import RUNTIME_INFO_KEY
from schemas.federation import PASS_REVOCATION
from tests.conftest import PortalClient

#: A peer that answers nothing (the visit record waits in the outbox).
AIX = "http://127.0.0.1:9"
CSRF_RE = re.compile(r'name="csrf-token" content="([^"]+)"')


@pytest.fixture
def aix(app, session, clock):
    """An approved peer, "La Coque Bleue", with its pinned key and an agreement in force
    (5 days a month each way); returns a function signing its members' passes for us."""
    key = SigningKey.generate()
    record = KeyRecord.for_key(key)
    session.add(Peer(node_id=AIX, name="La Coque Bleue", status=APPROVED, keys_json=json.dumps(
        {record.key_id: {"key": record.public_key_b64, "valid_from": 0, "valid_until": None,
                         "revoked_at": None}})))
    us = app.extensions[RUNTIME_INFO_KEY].node_id
    today = clock.now().date()
    terms = Terms(AIX, us, 5, 5, None, today - timedelta(days=40), None)
    session.add(PassAgreement(agreement_id=f"{AIX}/pass/agreement/1", peer_node_id=AIX,
                              offered_by_us=False, status="active",
                              terms=json.dumps(terms.to_dict()), offer_json="{}"))
    session.commit()

    def sign(subject: int, name: str | None = None) -> str:
        now = int(clock.now().timestamp())
        return token.encode(key=key, issuer=AIX, host=us, subject=bytes([subject]) * 10,
                            issued=now - 60, expires=now + 86_400, name=name)

    return sign


def _manager(create_member, client) -> tuple:
    manager = create_member("accueil@example.org", display_name="Inès Accueil", role="manager")
    portal = PortalClient(client)
    assert portal.login("accueil@example.org").status_code == 302
    return manager, portal


def _csrf(client, path: str = "/kiosk") -> str:
    return CSRF_RE.search(client.get(path).get_data(as_text=True)).group(1)


def test_a_good_pass_checks_the_visitor_in_and_the_desk_shows_who_is_here(
        app, session, client, create_member, aix, clock):
    manager, desk = _manager(create_member, client)
    lea = create_member("lea@example.org", display_name="Léa Durand")
    checkins.check_in(session, lea, clock.now(), ZoneInfo(app.config["DEFAULT_TIMEZONE"]))
    session.commit()

    named = desk.post("/admin/passes/desk", {"code": aix(1, "Zoé Martin")})
    assert named.status_code == 200 and "Zoé Martin" in named.get_data(as_text=True)
    assert desk.post("/admin/passes/desk", {"code": aix(2)}).status_code == 200
    # The same visitor again the same day: welcomed, counted once.
    again = desk.post("/admin/passes/desk", {"code": aix(1, "Zoé Martin")}, headers={"Accept-Language": "en"})
    assert "Already recorded today" in again.get_data(as_text=True)

    rows = session.scalars(select(PassVisit).order_by(PassVisit.id)).all()
    assert [(r.direction, r.shown_name, r.recorded_by_id) for r in rows] == [
        ("hosted", "Zoé Martin", manager.id), ("hosted", "", manager.id)]
    page = desk.get("/admin/passes/desk").get_data(as_text=True)
    here = page[page.index('data-testid="who-is-here"'):]
    assert "Qui est là aujourd’hui" in here and "Léa Durand" in here
    assert here.count('data-testid="visitor"') == 2
    assert "Zoé Martin" in here and "de passage, de" in here and "La Coque Bleue" in here
    # The pseudonymous visitor is shown by the pseudonym of their pass, nothing more.
    assert rows[1].subject in here
    english = desk.get("/admin/passes/desk", headers={"Accept-Language": "en"})
    assert "Who is here today" in english.get_data(as_text=True)
    # The engagement dashboard counts them (numbers only).
    local_day = clock.now().astimezone(ZoneInfo(app.config["DEFAULT_TIMEZONE"])).date()
    assert visits.totals(session, local_day.replace(day=1), month_only=True)["hosted"] == 2
    month = local_day.strftime("%Y-%m")
    board = desk.get(f"/admin/connector/engagement?month={month}").get_data(as_text=True)
    assert "2 jours donnés aux membres d’autres espaces" in board and "Zoé" not in board


def test_a_kiosk_only_checks_passes_and_ends_when_the_manager_ends_it(
        app, session, client, create_member, aix):
    manager, tablet = _manager(create_member, client)
    create_member("lea@example.org", display_name="Léa Durand")
    # Opening a kiosk on this device signs the manager out of it.
    opened = tablet.post("/admin/passes/kiosks")
    assert opened.status_code == 302 and opened.headers["Location"].endswith("/kiosk")
    kiosk_page = client.get("/kiosk")
    assert kiosk_page.status_code == 200
    assert "Montrez votre pass réseau" in kiosk_page.get_data(as_text=True)
    assert "Léa Durand" not in kiosk_page.get_data(as_text=True)  # nobody's presence on the tablet

    # Every other page leads back to the kiosk; every other form is refused.
    for path in ("/admin/passes/desk", "/admin/passes", "/admin/members", "/directory", "/pass",
                 "/account", "/login", "/"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].endswith("/kiosk"), path
    csrf = _csrf(client)
    for path, data in (("/admin/passes/desk", {"code": aix(3)}), ("/admin/passes/kiosks", {}),
                       ("/admin/members/1/status", {"status": "suspended", "confirm": "1"}),
                       ("/logout", {})):
        assert client.post(path, data={**data, "csrf_token": csrf}).status_code == 403, path
    assert client.post("/kiosk", data={"code": aix(3)}).status_code == 400  # no CSRF token

    checked = client.post("/kiosk", data={"code": aix(3, "Zoé Martin"), "csrf_token": csrf})
    assert checked.status_code == 200 and "Zoé Martin" in checked.get_data(as_text=True)
    refused = client.post("/kiosk", data={"code": "NOT-A-PASS", "csrf_token": csrf},
                          headers={"Accept-Language": "en"})
    assert refused.status_code == 422 and "not a network pass" in refused.get_data(as_text=True)
    visit = session.scalar(select(PassVisit))
    assert visit.shown_name == "Zoé Martin" and visit.recorded_by_id == manager.id

    # The manager, on another device, sees the open kiosk and ends it.
    office = PortalClient(app.test_client())
    office.login("accueil@example.org")
    desk = office.get("/admin/passes/desk").get_data(as_text=True)
    assert "Arrêter cette borne" in desk
    kiosk_id = session.scalar(select(PassKiosk.id))
    assert office.post(f"/admin/passes/kiosks/{kiosk_id}/end").status_code == 302
    ended = client.get("/kiosk")
    assert ended.status_code == 302 and "/login" in ended.headers["Location"]
    assert client.get("/login").status_code == 200  # the tablet is an ordinary browser again
    assert client.post("/kiosk", data={"code": aix(4), "csrf_token": _csrf(client, "/login")}).status_code == 302
    assert len(session.scalars(select(PassVisit)).all()) == 1


def test_the_tablet_leaves_kiosk_mode_and_a_kiosk_dies_with_its_manager_or_its_time(
        app, session, client, create_member, clock):
    ines, tablet = _manager(create_member, client)
    assert tablet.post("/admin/passes/kiosks").status_code == 302
    left = client.post("/kiosk/leave", data={"csrf_token": _csrf(client)})
    assert left.status_code == 302 and left.headers["Location"].endswith("/login")
    assert session.scalar(select(PassKiosk.ended_at)) is not None
    assert client.get("/kiosk").status_code == 302

    # One kiosk per manager; a kiosk closes with its manager's role or account.
    chef = create_member("chef@example.org", role="manager")
    bob = create_member("bob@example.org", role="manager")
    tablets = {}
    for email in ("accueil@example.org", "chef@example.org", "bob@example.org"):
        tablets[email] = PortalClient(app.test_client())
        tablets[email].login(email)
        assert tablets[email].post("/admin/passes/kiosks").status_code == 302
        assert tablets[email].client.get("/kiosk").status_code == 200
    accounts.set_role(session, chef, ines, "member")
    accounts.set_status(session, chef, bob, "suspended")
    session.commit()
    assert tablets["accueil@example.org"].client.get("/kiosk").status_code == 302
    assert tablets["bob@example.org"].client.get("/kiosk").status_code == 302
    assert tablets["chef@example.org"].client.get("/kiosk").status_code == 200
    clock.pin(clock.now() + LIFETIME + timedelta(minutes=1))
    assert tablets["chef@example.org"].client.get("/kiosk").status_code == 302  # past its time


def test_a_member_cannot_open_a_kiosk(client, create_member):
    create_member("lea@example.org")
    portal = PortalClient(client)
    portal.login("lea@example.org")
    assert portal.post("/admin/passes/kiosks").status_code == 403
    assert portal.get("/kiosk").status_code == 302


def test_an_erased_member_s_passes_are_revoked_on_the_feed(app, session, create_member, clock):
    session.add(Peer(node_id=AIX, name="La Coque Bleue", status=APPROVED, keys_json="{}"))
    us = app.extensions[RUNTIME_INFO_KEY].node_id
    terms = Terms(us, AIX, 2, 2, None, clock.now().date() - timedelta(days=1), None)
    session.add(PassAgreement(agreement_id=f"{us}/pass/agreement/1", peer_node_id=AIX,
                              offered_by_us=True, status="active",
                              terms=json.dumps(terms.to_dict()), offer_json="{}"))
    session.commit()
    manager = create_member(role="manager")
    zoe = create_member("zoe@example.org", display_name="Zoé Martin")
    keep = create_member("noe@example.org")
    for member in (zoe, keep):
        issuing.issue(session, member, clock.now(), host=AIX, show_name=True, photo=False)
        issuing.issue(session, member, clock.now(), host=None, show_name=False, photo=False)
    session.commit()
    zoe_passes = {(p.pass_id, p.subject) for p in session.scalars(
        select(IssuedPass).where(IssuedPass.member_id == zoe.id))}
    assert len(zoe_passes) == 2

    accounts.erase_member(session, manager, zoe)
    session.commit()
    app.extensions[RUNTIME_INFO_KEY].wait_for_background()
    session.expire_all()

    revocations = [json.loads(e.item_json) for e in session.scalars(
        select(FeedEntry).where(FeedEntry.item_type == PASS_REVOCATION))]
    assert revocations and all(r["content"]["reason"] == "erased" for r in revocations)
    assert {(r["content"]["pass_ids"][0], r["content"]["subject"]) for r in revocations} == zoe_passes
    assert {e.recipient for e in session.scalars(
        select(FeedEntry).where(FeedEntry.item_type == PASS_REVOCATION))} == {AIX}
    # Nothing of the erased member's passes stays; the other member's are untouched.
    assert session.scalars(select(IssuedPass).where(IssuedPass.member_id.is_(None))).all() == []
    assert {p.member_id for p in session.scalars(select(IssuedPass))} == {keep.id}


def test_the_last_manager_cannot_be_erased_and_a_member_cannot_erase_another(session, create_member):
    from node.errors import Conflict, Forbidden
    manager = create_member(role="manager")
    lea, noe = create_member(), create_member()
    with pytest.raises(Conflict):
        accounts.erase_member(session, manager, manager)
    with pytest.raises(Forbidden):
        accounts.erase_member(session, lea, noe)
    accounts.erase_member(session, lea, lea)  # a member leaves
    session.commit()
    assert session.get(type(lea), lea.id) is None
