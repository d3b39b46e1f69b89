"""People are told, and reach each other: the notification centre, mails with working links,
across two live nodes with their schedulers running, in French and English, 1280 and 390 px."""

from __future__ import annotations

import re
import secrets
import threading
import time
from datetime import timedelta

import icalendar
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from node.events import events
from node.models import Introduction, Member, Notification, QueueItem
from tests.network.test_live import add_member, wait_delivered

from .conftest import check_accessibility, screenshot, sign_in

pytestmark = pytest.mark.browser

LINK = re.compile(r"(http://127\.0\.0\.1:\d+/\S+)")


class Schedulers:
    """Each node's scheduler round, run every 0.2 s on a thread, as ``coworknet sync`` does."""

    def __init__(self, nodes):
        self.nodes, self.stop = nodes, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self.stop.is_set():  # no timed wait: the suite also runs under faketime
            for node in self.nodes:
                node.round(force=False)
            time.sleep(0.2)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *_exc):
        self.stop.set()
        self.thread.join(10)


@pytest.fixture
def two_spaces(live_nodes):
    aix, calanques = (live_nodes.add(name, {"PSEUDONYM_SECRET": secrets.token_hex(32)})
                      for name in ("aix", "calanques"))
    live_nodes.peer_all()
    # Three accountants: a skill held by several people is shared (the rare-skill rule).
    for email, name in (("alice@aix.example", "Alice Martin"), ("paul@aix.example", "Paul Roux"),
                        ("ines@aix.example", "Inès Vidal")):
        add_member(aix, email, name, skills=[("expert-comptable", "expert")], languages=["fr"],
                   visibility="network_named")
    add_member(calanques, "bob@calanques.example", "Bob Marin", skills=[], visibility="space",
               locale="en")
    calanques.sync()
    return aix, calanques


def _mail_link(node, to: str, contains: str) -> str:
    mail = [m for m in node.app.extensions["coworknet.mail"].outbox if m.to == to][-1]
    return next(url for url in LINK.findall(mail.body) if contains in url)


def test_an_introduction_from_mail_to_contact_on_both_sides(two_spaces, new_page):
    aix, calanques = two_spaces
    with Schedulers([aix, calanques]):
        bob = new_page("en-GB")
        sign_in(bob, calanques, "bob@calanques.example")
        bob.goto(calanques.url + "/network?q=comptable")
        card = bob.locator(".card").filter(has_text="Alice")
        expect(card).to_have_count(1)
        card.locator("summary").click()
        card.get_by_label("Your message").fill("Hello, I need help with my accounts.")
        card.get_by_role("button", name="Request an introduction").click()
        expect(bob.locator("main")).to_contain_text("Alice")  # to whom, in his list
        expect(bob.locator("main")).to_contain_text("Coworking Aix")
        wait_delivered(calanques)

        # Alice is mailed with a link that lands on the request, and told in the portal.
        link = _mail_link(aix, "alice@aix.example", "/network/introductions")
        alice = new_page()
        sign_in(alice, aix, "alice@aix.example")
        expect(alice.locator("header .notif-link .count")).to_have_text("1")
        alice.goto(aix.url + "/notifications")
        expect(alice.locator("main")).to_contain_text("Bob Marin (Coworking Calanques) vous demande une mise en relation")
        check_accessibility(alice, "notifications")
        screenshot(alice, "30-notifications-fr-1280")
        alice.set_viewport_size({"width": 390, "height": 844})
        screenshot(alice, "31-notifications-fr-390")
        alice.set_viewport_size({"width": 1280, "height": 900})
        alice.get_by_role("button", name="Accepter ou refuser").click()
        assert alice.url.split("#")[0] == link.split("#")[0]
        with aix.session() as session:
            intro = session.scalars(select(Introduction).where(Introduction.direction == "incoming")).one()
        received = alice.locator(f"#received-{intro.id}")
        expect(received).to_contain_text("Bob Marin")
        received.get_by_role("button", name="Accepter").click()
        expect(alice.locator(f"#received-{intro.id}")).to_contain_text("bob@calanques.example")
        wait_delivered(aix)

        # Bob is told at his own node; his list shows Alice's e-mail, to whom and when.
        expect(bob.locator("header .notif-link .count")).to_have_count(0)
        bob.goto(calanques.url + "/notifications")
        expect(bob.locator("main")).to_contain_text("Alice Martin accepted your introduction request")
        check_accessibility(bob, "notifications en")
        screenshot(bob, "32-notifications-en-1280")
        bob.set_viewport_size({"width": 390, "height": 844})
        screenshot(bob, "33-notifications-en-390")
        bob.get_by_role("button", name="See their contact").click()
        expect(bob.locator("main")).to_contain_text("alice@aix.example")
        expect(bob.locator("main")).to_contain_text("Skill: Accounting")
        screenshot(bob, "34-introductions-requester-en-390")
    mail = [m for m in calanques.app.extensions["coworknet.mail"].outbox if m.to == "bob@calanques.example"][-1]
    assert mail.subject == "Alice Martin accepted your introduction request"


def test_approval_confirmation_with_ics_and_reminder(marseille, new_page, clock):
    """One space: a sign-up waits on the manager's home, the approval mails the member with a
    link, her registration is confirmed by mail with a valid .ics, and the day before she is
    reminded (the scheduler's job), each time told in the portal too."""
    marseille.create_member("cm-notif@example.org", display_name="Inès", role="manager")
    visitor = new_page()
    visitor.goto(marseille.url + "/signup")
    visitor.fill("#email", "zoe-notif@example.org")
    visitor.fill("#display_name", "Zoé N.")
    visitor.fill("#password", "un mot de passe bien long")
    visitor.fill("#password_confirm", "un mot de passe bien long")
    visitor.get_by_label("J’ai lu et j’accepte la politique de confidentialité").check()
    visitor.get_by_role("button", name="Envoyer ma demande").click()

    manager = new_page("en-GB")
    sign_in(manager, marseille, "cm-notif@example.org")
    manager.goto(marseille.url + "/")
    waiting = manager.locator("section.waiting")
    expect(waiting).to_contain_text("sign-up")
    check_accessibility(manager, "manager home")
    screenshot(manager, "35-manager-home-waiting-en")
    manager.goto(marseille.url + "/notifications")
    manager.get_by_role("button", name="Approve or refuse").first.click()
    manager.locator("tr[data-member='zoe-notif@example.org']").get_by_role("button").first.click()
    assert marseille.member_status("zoe-notif@example.org") == "active"

    link = _mail_link(marseille, "zoe-notif@example.org", "/login")
    zoe = new_page()
    zoe.goto(link)
    zoe.fill("#email", "zoe-notif@example.org")
    zoe.fill("#password", "un mot de passe bien long")
    zoe.locator("main form button[type=submit]").first.click()
    zoe.goto(marseille.url + "/notifications")
    expect(zoe.locator("main")).to_contain_text("Votre compte à La Coque Bleue est validé")

    with marseille.app.app_context():
        from node.db import db

        session = db.session
        manager_row = session.scalar(select(Member).where(Member.email == "cm-notif@example.org"))
        start = clock.now() + timedelta(hours=20)
        event = events.create_event(session, manager_row, {
            "title": "Apéro des notifications", "type": "aperitif", "start_at": start,
            "end_at": start + timedelta(hours=2), "status": "published", "audience": "space"},
            clock.now())
        session.commit()
        event_id = event.id
    zoe.goto(f"{marseille.url}/events/{event_id}")
    zoe.get_by_role("button", name="M’inscrire").first.click()
    expect(zoe.locator("main")).to_contain_text("Annuler mon inscription")
    mail = [m for m in marseille.outbox if m.to == "zoe-notif@example.org"][-1]
    assert mail.subject == "Vous êtes inscrit·e à Apéro des notifications"
    calendar = icalendar.Calendar.from_ical(mail.attachments[0].data)
    assert [str(v["SUMMARY"]) for v in calendar.walk("VEVENT")] == ["Apéro des notifications"]

    from node.federation import jobs

    jobs.run_job(marseille.app, next(j for j in jobs.registered_jobs(marseille.app)
                                     if j.name == "events.reminders"), force=True)
    reminder = [m for m in marseille.outbox if m.to == "zoe-notif@example.org"][-1]
    assert reminder.subject.startswith("Rappel : Apéro des notifications")
    zoe.goto(marseille.url + "/notifications")
    expect(zoe.locator("main")).to_contain_text("Rappel : Apéro des notifications")
    check_accessibility(zoe, "notifications with reminder")
    zoe.set_viewport_size({"width": 390, "height": 844})
    screenshot(zoe, "36-notifications-reminder-fr-390")


def test_a_need_answered_here_and_one_answered_by_another_space(live_nodes, new_page):
    """Alice posts a need. A member of her space answers: she is told, and the link lands on
    her need. Her manager escalates it to the network: a member of another space agrees to be
    put in touch, and the answer reaches Alice herself with his contact (not only the manager)."""
    from tests.connector.test_network import _deliver, _member

    aix, fontainebleau = live_nodes(2, names=["aix", "fontainebleau"])
    live_nodes.peer_all()
    _, aix_manager = _member(aix, "cm@aix.example", "Inès", role="manager")
    alice_id, alice_api = _member(aix, "alice@aix.example", "Alice Martin")
    _, _yann = _member(aix, "yann@aix.example", "Yann Le Goff")
    _, fb_manager = _member(fontainebleau, "cm@fb.example", "Marc", role="manager")
    bob_id, bob_api = _member(fontainebleau, "bob@fb.example", "Bob Comptable", skills=["comptabilité"])

    need = aix.client().post("/api/v1/needs", headers=alice_api,
                             json={"text": "Qui peut tenir ma comptabilité ?"}).json
    yann = new_page()
    sign_in(yann, aix, "yann@aix.example")
    yann.goto(f"{aix.url}/connector/needs/{need['id']}")
    yann.get_by_label("Votre réponse").fill("Je connais quelqu’un, je vous écris.")
    yann.get_by_role("button", name="Répondre").click()

    alice = new_page()
    sign_in(alice, aix, "alice@aix.example")
    alice.goto(aix.url + "/notifications")
    expect(alice.locator("main")).to_contain_text("Yann Le Goff a répondu à votre besoin")
    alice.get_by_role("button", name="Voir la réponse").click()
    expect(alice.locator("main")).to_contain_text("Je connais quelqu’un")
    assert f"/connector/needs/{need['id']}" in alice.url

    with aix.session() as session:
        item_id = session.scalar(select(QueueItem.id).where(QueueItem.need_id == need["id"]))
    assert aix.client().post(f"/api/v1/admin/connector/queue/{item_id}/escalate", headers=aix_manager,
                             json={"message": "Un membre cherche de l'aide en comptabilité."}).status_code == 200
    remote = _deliver(aix, fontainebleau, lambda s: s.scalar(select(QueueItem.id).where(QueueItem.kind == "network")))
    proposed = fontainebleau.client().post(f"/api/v1/admin/connector/queue/{remote}/candidates",
                                           headers=fb_manager, json={"member_id": bob_id})
    assert proposed.status_code == 201
    bob = new_page("en-GB")
    sign_in(bob, fontainebleau, "bob@fb.example")
    bob.goto(fontainebleau.url + "/notifications")
    expect(bob.locator("main")).to_contain_text("You are proposed for a request")
    fontainebleau.client().post(f"/api/v1/me/introductions/{proposed.json['id']}", headers=bob_api,
                                json={"decision": "accepted", "message": "Avec plaisir"})
    _deliver(fontainebleau, aix, lambda s: s.scalar(select(Notification.id).where(
        Notification.member_id == alice_id, Notification.kind == "network.answered")))
    alice.goto(aix.url + "/notifications")
    expect(alice.locator("main")).to_contain_text("Bob Comptable (Coworking Fontainebleau) peut répondre à votre besoin")
    mail = [m for m in aix.app.extensions["coworknet.mail"].outbox if m.to == "alice@aix.example"][-1]
    assert "bob@fb.example" in mail.body
    check_accessibility(alice, "notifications need answered")
    alice.set_viewport_size({"width": 390, "height": 844})
    screenshot(alice, "37-need-answered-by-another-space-fr-390")
