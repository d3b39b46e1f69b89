"""Notifications: each kind in French and English, the centre in the portal and the API,
preferences and one-click unsubscribe, the mail outbox (retries, a real SMTP server down then
up), confirmations with a valid .ics, reminders once."""

from __future__ import annotations

import json
import re
import socket
import time
from datetime import timedelta

import icalendar
import pytest
from aiosmtpd.controller import Controller
from flask_babel import force_locale, gettext
from sqlalchemy import select

from node.accounts import accounts
from node.events import registrations, reminders
from node.models import Member, Notification, OutgoingMail
from node.notices import mailer
from node.notifications import operations, queries
from node.notifications.kinds import KINDS
from node.notifications.models import MAIL_FAILED, MAIL_QUEUED, MAIL_SENT
from tests.conftest import count_rows

SAMPLE = {"name": "Bob Martin", "space": "La Ruche", "skill": "Comptabilité", "title": "Apéro", "text": "Un site", "email": "bob@b.example",
          "starts_at": "2026-12-03T17:30:00+00:00", "deadline_at": "2026-12-02T17:30:00+00:00",
          "decision": "approve", "need": "Un photographe", "tz": "Europe/Paris",
          "type": "connector.request", "reason": "deadline: not delivered in time"}


def test_every_kind_has_french_and_english_words(app):
    with app.app_context():
        for name, kind in KINDS.items():
            with force_locale("en"):
                english = mailer.render(name, SAMPLE, default_tz="Europe/Paris")
                english_label = gettext(kind.label)
            with force_locale("fr"):
                french = mailer.render(name, SAMPLE, default_tz="Europe/Paris")
                french_label = gettext(kind.label)
            for fr, en in ((french.title, english.title), (french.text, english.text),
                           (french.action, english.action), (french_label, english_label)):
                assert fr and en and fr != en, (name, fr, en)
            assert "%(" not in french.title + french.text and "%(" not in english.title + english.text
        with force_locale("fr"):
            words = mailer.render("event.reminder", SAMPLE, default_tz="Europe/Paris")
        assert "jeudi 3 décembre 2026 à 18:30" in words.title  # a date in words, Paris time


def test_a_signup_tells_the_managers_and_an_approval_tells_the_member(portal, app, session,
                                                                       create_member, outbox):
    manager = create_member("gerante@example.org", display_name="Inès Gérante", role="manager")
    pending = accounts.sign_up(session, app.extensions["coworknet.passwords"], signup_mode="approval",
                               email="lea@example.org", display_name="Léa Martin",
                               password="un mot de passe long")  # noqa: S106 - test value
    session.commit()
    (waiting,) = queries.list_for(session, manager)
    assert waiting.kind == "signup.waiting" and waiting.link == f"/admin/members#member-{pending.id}"
    assert [m.to for m in outbox] == [manager.email]
    assert "Léa Martin" in outbox[0].subject and f"/admin/members#member-{pending.id}" in outbox[0].body

    portal.login(manager.email)
    page = portal.get("/notifications").get_data(as_text=True)
    assert "Léa Martin demande à rejoindre l’espace" in page
    assert re.search(r'class="count"[^>]*>1<', portal.get("/").get_data(as_text=True))
    response = portal.post(f"/admin/members/{pending.id}/status", {"status": "active"})
    assert response.status_code == 302
    (approved,) = queries.list_for(session, session.get(Member, pending.id))
    assert approved.kind == "account.approved"
    mail = outbox[-1]
    assert mail.to == "lea@example.org" and mail.subject == "Votre compte à La Ruche du Panier est validé"
    assert "http://coworknet.test/login" in mail.body
    # The manager opens the notification: read, and taken where to act.
    response = portal.post(f"/notifications/{waiting.id}/open")
    assert response.headers["Location"].endswith(f"/admin/members#member-{pending.id}")
    assert queries.unread_count(session, manager) == 0


def test_a_registration_is_confirmed_by_mail_with_a_valid_ics(app, session, create_member, outbox,
                                                             clock):
    manager = create_member("accueil@example.org", role="manager")
    member = create_member("membre@example.org", display_name="Zoé", locale="en")
    from node.events import events

    start = clock.now() + timedelta(days=5)
    event = events.create_event(session, manager, {
        "title": "Apéro de rentrée", "type": "aperitif", "start_at": start,
        "end_at": start + timedelta(hours=2), "status": "published", "audience": "space",
        "capacity": 1}, clock.now())
    session.commit()
    outbox.clear()
    occurrence_id = event.occurrences[0].id
    registrations.register(session, occurrence_id, registrations.Registrant.local(member), clock.now(),
                           viewer=member)
    session.commit()
    (mail,) = outbox
    assert mail.to == member.email and mail.subject == "You are registered for Apéro de rentrée"
    (attachment,) = mail.attachments
    calendar = icalendar.Calendar.from_ical(attachment.data)
    (vevent,) = calendar.walk("VEVENT")
    assert vevent["UID"] == event.uid and vevent.decoded("DTSTART").astimezone(start.tzinfo) == start.replace(microsecond=0)
    assert f"http://coworknet.test/events/{event.id}" in mail.body
    # The event is full: the next one is waitlisted, told in the portal only (by default).
    other = create_member("autre@example.org")
    registrations.register(session, occurrence_id, registrations.Registrant.local(other), clock.now(),
                           viewer=other)
    session.commit()
    assert len(outbox) == 1
    assert [n.kind for n in queries.list_for(session, other)] == ["registration.waitlisted"]


def test_reminders_are_sent_once_the_day_before(app, session, create_member, outbox, clock):
    from node.events import events

    manager = create_member("accueil@example.org", role="manager")
    member = create_member("membre@example.org", display_name="Zoé")
    now = clock.now()
    soon = events.create_event(session, manager, {
        "title": "Atelier", "type": "atelier", "start_at": now + timedelta(hours=20),
        "end_at": now + timedelta(hours=22), "status": "published", "audience": "space"}, now)
    later = events.create_event(session, manager, {
        "title": "Plus tard", "type": "atelier", "start_at": now + timedelta(days=3),
        "end_at": now + timedelta(days=3, hours=2), "status": "published", "audience": "space"}, now)
    for event in (soon, later):
        registrations.register(session, event.occurrences[0].id, registrations.Registrant.local(member),
                               now, viewer=member)
    session.commit()
    outbox.clear()
    assert reminders.send_reminders(session, now) == 1
    session.commit()
    assert [m.subject.startswith("Rappel : Atelier") for m in outbox] == [True]
    assert reminders.send_reminders(session, now + timedelta(hours=1)) == 0  # once
    session.commit()
    assert len(outbox) == 1
    assert reminders.send_reminders(session, now + timedelta(days=2, hours=12)) == 1  # the other
    session.commit()
    assert len(outbox) == 2


def test_preferences_and_one_click_unsubscribe(portal, app, session, create_member, outbox):
    member = create_member("membre@example.org", display_name="Zoé")
    portal.login(member.email)
    page = portal.get("/notifications/preferences").get_data(as_text=True)
    assert "Quelqu’un répond à mon besoin" in page and "Par courriel, tout de suite" in page
    assert "Quelqu’un demande à rejoindre l’espace" not in page  # a managers' kind
    bad = portal.post("/notifications/preferences", {"kind:need.answered": "pigeon"})
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.get_data(as_text=True)
    assert operations.channel_for(session, member, "need.answered") == "mail"  # nothing changed
    refused = portal.post("/notifications/preferences", {"kind:signup.waiting": "portal"})
    assert refused.status_code == 422
    assert portal.post("/notifications/preferences", {"kind:need.answered": "portal"}).status_code == 302
    assert operations.channel_for(session, member, "need.answered") == "portal"

    operations.notify(session, session.get(Member, member.id), "account.approved", link="/login",
                      params={"space": "La Ruche"})
    session.commit()
    mail = outbox[-1]
    stop_url = re.search(r"(http://coworknet.test/notifications/stop/\S+)", mail.body).group(1)
    assert dict(mail.headers)["List-Unsubscribe"] == f"<{stop_url}>"
    portal.post("/logout")
    path = stop_url.replace("http://coworknet.test", "")
    assert "Ne plus recevoir ces courriels" in portal.get(path).get_data(as_text=True)
    assert operations.channel_for(session, member, "account.approved") == "mail"  # GET changes nothing
    done = portal.post(path).get_data(as_text=True)
    assert "C’est fait" in done
    assert operations.channel_for(session, member, "account.approved") == "portal"
    assert portal.get(path[:-3] + "xyz").status_code == 404  # a forged link


def test_the_api_lists_marks_read_and_sets_preferences(client, app, session, create_member, api_token):
    member = create_member("membre@example.org", display_name="Zoé", locale="en")
    for _ in range(2):
        operations.notify(session, session.get(Member, member.id), "need.answered",
                          link="/connector/needs/1", params={"name": "Bob", "need": "Photos"})
    session.commit()
    headers = api_token(member)
    listed = client.get("/api/v1/me/notifications", headers=headers)
    assert listed.status_code == 200 and listed.json["unread"] == 2
    item = listed.json["items"][0]
    assert item["text"] == "Bob answered your need" and item["url"] == "http://coworknet.test/connector/needs/1"
    one = client.post("/api/v1/me/notifications/read", json={"id": item["id"]}, headers=headers)
    assert one.status_code == 200 and one.json["unread"] == 1
    assert client.post("/api/v1/me/notifications/read", json={"id": 99999}, headers=headers).status_code == 404
    assert client.post("/api/v1/me/notifications/read", json={}, headers=headers).json["unread"] == 0
    bad = client.put("/api/v1/me/notification-preferences", json={"kind": "need.answered", "channel": "fax"},
                     headers=headers)
    assert bad.status_code == 422
    good = client.put("/api/v1/me/notification-preferences", json={"kind": "need.answered", "channel": "digest"},
                      headers=headers)
    assert {c["kind"]: c["channel"] for c in good.json}["need.answered"] == "digest"
    assert client.get("/api/v1/me/notifications").status_code == 401


def test_another_member_cannot_read_or_open_my_notifications(portal, session, create_member):
    mine = create_member("a@example.org")
    other = create_member("b@example.org")
    row = operations.notify(session, session.get(Member, mine.id), "need.answered", link="/connector/needs/1",
                            params={"name": "Bob", "need": "Photos"})
    session.commit()
    portal.login(other.email)
    assert portal.post(f"/notifications/{row.id}/open").status_code == 404
    assert session.get(Notification, row.id).read_at is None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_app(app):
    port = _free_port()
    app.config.update(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False)
    from node.mail import make_sender

    app.extensions["coworknet.mail.transport"] = make_sender(app.config, app.instance_path)
    return app, port


def test_smtp_down_then_up_queues_and_sends_once(smtp_app, session, create_member, clock):
    """A real SMTP server (aiosmtpd), stopped while mails are queued, then started: the mails
    wait in the outbox with their error, and each is sent exactly once when it returns."""
    app, port = smtp_app
    member = create_member("membre@example.org", display_name="Zoé")
    for n in range(3):
        operations.notify(session, session.get(Member, member.id), "need.answered",
                          link=f"/connector/needs/{n}", params={"name": "Bob", "need": f"Besoin {n}"})
        session.commit()  # the server is down: each first attempt fails at once
    # A mail composed after a commit (a seat offer, a password reset...) goes the same way.
    from node.mail import Mail

    app.extensions["coworknet.mail"].send(Mail(to="membre@example.org", subject="Une place pour vous",
                                               body="Confirmez avant demain."))
    rows = session.scalars(select(OutgoingMail).order_by(OutgoingMail.id)).all()
    assert [(r.status, r.attempts) for r in rows] == [(MAIL_QUEUED, 1)] * 4
    assert all("Connection" in (r.last_error or "") or "refused" in (r.last_error or "") for r in rows)
    # An hour later the server is still down: retried, still queued, nothing lost.
    assert mailer.send_due(app, clock.now() + timedelta(hours=1)) == (0, 4)

    handler = Inbox()
    server = Controller(handler, hostname="127.0.0.1", port=port)
    server.start()
    try:
        later = clock.now() + timedelta(hours=3)
        assert mailer.send_due(app, later) == (4, 0)
        assert mailer.send_due(app, later + timedelta(hours=3)) == (0, 0)
        deadline = time.monotonic() + 5
        while len(handler.messages) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        server.stop()
    assert len(handler.messages) == 4
    assert sorted(m.rcpt_tos[0] for m in handler.messages) == ["membre@example.org"] * 4
    assert any(b"Une place pour vous" in m.content for m in handler.messages)
    session.expire_all()
    assert {r.status for r in session.scalars(select(OutgoingMail))} == {MAIL_SENT}
    # A month later the sent mails are forgotten (30 days), by the same job.
    assert mailer.send_due(app, later + timedelta(days=31)) == (0, 0)
    assert count_rows(session, OutgoingMail) == 0


def test_a_mail_refused_for_long_ends_failed_and_the_manager_sees_it(app, session, create_member,
                                                                    portal, clock, monkeypatch):
    sender = app.extensions["coworknet.mail.transport"]

    def refuse(mail):
        raise OSError("relay refuses")

    monkeypatch.setattr(sender, "send", refuse)
    manager = create_member("gerante@example.org", role="manager")
    member = create_member("membre@example.org")
    operations.notify(session, session.get(Member, member.id), "need.answered", link="/connector/needs/1",
                      params={"name": "Bob", "need": "Photos"})
    session.commit()
    moment = clock.now()
    for _ in range(mailer.MAX_ATTEMPTS):
        moment += timedelta(hours=3)
        mailer.send_due(app, moment)
    session.expire_all()
    row = session.scalars(select(OutgoingMail)).one()
    assert row.status == MAIL_FAILED and row.attempts == mailer.MAX_ATTEMPTS
    assert mailer.send_due(app, moment + timedelta(days=1)) == (0, 0)  # no more tries
    portal.login(manager.email)
    page = portal.get("/admin/mails").get_data(as_text=True)
    assert "en échec" in page and "relay refuses" in page and member.email in page
    assert portal.get("/admin/mails").status_code == 200
    portal.post("/logout")
    portal.login(member.email)
    assert portal.get("/admin/mails").status_code == 403


def test_notifications_of_a_suspended_member_are_not_mailed(session, create_member, outbox):
    member = create_member("membre@example.org", status="suspended")
    assert operations.notify(session, member, "need.answered", link="/", params={}) is None
    session.commit()
    assert outbox == [] and count_rows(session, Notification) == 0


def test_params_are_stored_as_json(session, create_member, clock):
    member = create_member("membre@example.org")
    moment = clock.now()
    row = operations.notify(session, member, "event.reminder", link="/events/1",
                            params={"title": "Apéro", "starts_at": moment})
    session.commit()
    assert json.loads(row.params_json)["starts_at"] == moment.isoformat()


def test_a_kind_chosen_for_the_digest_waits_for_the_weekly_mail(app, session, create_member, outbox):
    from node.connector import needs
    from node.db import db
    from node.notices.digest import digest_links, send_weekly

    alice = create_member("alice@example.org", display_name="Alice")
    bob = create_member("bob@example.org", display_name="Bob")
    operations.set_channel(session, alice, "need.answered", "digest")
    need = needs.create_need(session, alice, text="Un photographe pour mon site")
    session.commit()
    needs.answer_need(session, need, session.get(Member, bob.id), "Je peux le faire")
    session.commit()
    assert [m.to for m in outbox] == []  # not mailed at once
    with app.test_request_context("/"):
        send_weekly(db.session, app.extensions["coworknet.mail"], space_name="La Ruche",
                    links=digest_links(), default_locale="fr")
        db.session.commit()
    mail = next(m for m in outbox if m.to == "alice@example.org")
    assert "Ce qui vous concerne" in mail.body and "Bob a répondu à votre besoin" in mail.body
    assert f"http://coworknet.test/connector/needs/{need.id}" in mail.body


def test_the_managers_home_lists_what_waits_for_them(portal, app, session, create_member, clock):
    from node.connector import connector
    from node.events import proposals
    from node.models import Peer

    manager = create_member("gerante@example.org", display_name="Inès", role="manager")
    member = create_member("membre@example.org", display_name="Zoé")
    portal.login(manager.email)
    assert "Ce qui vous attend" not in portal.get("/").get_data(as_text=True)  # nothing waits
    create_member("lea@example.org", status="pending")
    start = clock.now() + timedelta(days=10)
    proposals.propose_workshop(session, session.get(Member, member.id), {
        "title": "Initiation à Figma", "start_at": start, "end_at": start + timedelta(hours=2)},
        clock.now())
    session.add(Peer(node_id="https://aix.example", name="Coworking Aix", status="pending_approval",
                     keys_json="{}"))
    connector.ask_introduction(session, session.get(Member, member.id), "Un photographe pour mon site")
    session.commit()
    page = portal.get("/").get_data(as_text=True)
    for line in ("1 inscription à valider", "1 proposition d’atelier à examiner",
                 "1 demande de liaison d’un espace", "1 demande ouverte dans la file de mise en relation"):
        assert line in page, line
    for link in ('href="/admin/members"', 'href="/events/admin"', 'href="/admin/peers"',
                 'href="/admin/connector/queue"'):
        assert link in page, link
    portal.post("/logout")
    portal.login(member.email)
    assert "Ce qui vous attend" not in portal.get("/").get_data(as_text=True)  # managers only
