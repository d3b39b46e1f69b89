"""Weekly digest: personal content, manager preview and switch, one-click opt-out, CLI."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from click.testing import CliRunner

from node.cli import main
from node.connector import needs
from node.db import db
from node.models import DigestOptOut, Event, EventOccurrence
from node.notices.digest import digest_links, send_weekly
from tests.conftest import count_rows

LINK = re.compile(r"http://coworknet\.test/connector/digest/stop/\S+")


def _seed(session, create_member, now: datetime):
    create_member("cm@example.org", display_name="Inès", role="manager")
    tom = create_member("tom@example.org", display_name="Tom", skills=[("comptabilité", "expert")])
    alice = create_member("alice@example.org", display_name="Alice", headline="Architecte")
    needs.create_need(session, alice, text="Qui peut tenir ma comptabilité ?")
    needs.create_need(session, alice, text="Un plombier pour la cuisine")
    soon = now + timedelta(days=3)
    for title in ("Atelier comptabilité pour indépendants", "Initiation à la poterie"):
        event = Event(uid=title, title=title, status="published", start_at=soon, end_at=soon + timedelta(hours=2))
        session.add(EventOccurrence(event=event, original_start_at=soon, start_at=soon,
                                    end_at=soon + timedelta(hours=2)))
    session.commit()
    return tom, alice


def test_digest_content_and_opt_out(app, session, create_member, outbox, client, portal, clock):
    tom, alice = _seed(session, create_member, clock.now())
    with app.test_request_context("/"):
        sent = send_weekly(db.session, app.extensions["coworknet.mail"], space_name="La Ruche",
                           links=digest_links(), default_locale="fr")
        db.session.commit()
    assert sent == 3
    mail = next(m for m in outbox if m.to == "tom@example.org")
    assert "comptabilité" in mail.body and "plombier" not in mail.body  # needs matching my skills
    assert "Alice" in mail.body  # someone I have not met
    assert "Atelier comptabilité" in mail.body and "poterie" not in mail.body  # events for my interests
    assert re.search(r"http://coworknet\.test/events/\d+", mail.body)
    assert mail.subject.startswith("Votre semaine")
    link = LINK.search(mail.body).group(0)
    path = link.removeprefix("http://coworknet.test")

    # GET only asks; a forged POST without the CSRF token changes nothing
    page = client.get(path)
    assert page.status_code == 200 and "<form" in page.get_data(as_text=True)
    assert count_rows(session, DigestOptOut) == 0
    assert client.post(path).status_code == 400
    assert count_rows(session, DigestOptOut) == 0
    # a tampered token is refused
    assert portal.post(path[:-3] + "abc").status_code == 404
    assert portal.post(path).status_code == 200  # no login needed
    assert count_rows(session, DigestOptOut) == 1

    outbox.clear()
    with app.test_request_context("/"):
        sent = send_weekly(db.session, app.extensions["coworknet.mail"], space_name="La Ruche",
                           links=digest_links(), default_locale="fr", force=True)
    assert "tom@example.org" not in {m.to for m in outbox} and sent == 2


def test_manager_preview_and_switch(portal, session, create_member, outbox, app, clock):
    tom, _alice = _seed(session, create_member, clock.now())
    portal.login("tom@example.org")
    assert portal.get("/admin/connector/digest").status_code == 403
    portal.post("/logout")
    portal.login("cm@example.org")
    preview = portal.get(f"/admin/connector/digest?member_id={tom.id}").get_data(as_text=True)
    assert "comptabilit" in preview and "Tom" in preview
    assert outbox == [] or all(m.to != "tom@example.org" for m in outbox)  # preview sends nothing
    assert portal.post("/admin/connector/digest", {}).status_code == 302  # unchecked: off
    result = CliRunner().invoke(main, ["digest", "send"], env={"COWORKNET_DATABASE_URL": app.config["DATABASE_URL"],
                                                               "COWORKNET_MAIL_BACKEND": "memory",
                                                               "COWORKNET_SECRET_KEY": app.config["SECRET_KEY"],
                                                               "COWORKNET_INSTANCE": app.instance_path})
    assert result.exit_code == 0, result.output
    assert "0 digests sent" in result.output


def test_members_choose_the_digest_from_the_board(portal, session, create_member):
    member = create_member("tom@example.org")
    portal.login("tom@example.org")
    assert "checked" in portal.get("/connector/needs").get_data(as_text=True).split('name="subscribed"')[1][:20]
    assert portal.post("/connector/digest", {}).status_code == 302  # unchecked: opt out
    assert count_rows(session, DigestOptOut) == 1
    assert portal.post("/connector/digest", {"subscribed": "on"}).status_code == 302
    assert count_rows(session, DigestOptOut) == 0
    assert portal.post("/connector/digest", {"subscribed": "on", "other": "x"}).status_code == 422
    assert count_rows(session, DigestOptOut) == 0 and member.id
