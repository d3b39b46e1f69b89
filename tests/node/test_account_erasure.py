"""Deleting an account, by the member (their password asked again) or by a manager (a
confirmation): the seats they held go to the next in line, a registration held at another
space is cancelled there (a message to its host), the account goes, the person gets a receipt
by mail; a wrong password or the space's last manager changes nothing."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from node.federation.models import OutboxMessage
from node.members.models import Member
from node.regional.models import RegionalSession, RemoteRegistration
from tests.conftest import MEMBER_PASSWORD


def _full_event(client, manager_headers, now) -> int:
    start = (now + timedelta(days=6)).replace(microsecond=0)
    event = client.post("/api/v1/admin/events", headers=manager_headers, json={
        "title": "Atelier compta", "type": "atelier", "start_at": start.isoformat(),
        "end_at": (start + timedelta(hours=2)).isoformat(), "capacity": 1, "status": "published",
        "audience": "space"}).json
    return event["occurrences"][0]["id"]


def _register(client, headers, occurrence_id) -> str:
    answer = client.post(f"/api/v1/events/occurrences/{occurrence_id}/registration", headers=headers)
    assert answer.status_code == 201, answer.json
    return answer.json["status"]


def test_a_member_deletes_their_account_and_their_seat_goes_to_the_next_in_line(
        client, portal, session, create_member, api_token, outbox, clock):
    manager = create_member("gerante@example.org", role="manager")
    leaving = create_member("leaving@example.org", display_name="Lou Depart")
    waiting = create_member("waiting@example.org", display_name="Wanda Attente")
    leaving_id = leaving.id
    occurrence_id = _full_event(client, api_token(manager), clock.now())
    assert _register(client, api_token(leaving), occurrence_id) == "confirmed"
    assert _register(client, api_token(waiting), occurrence_id) == "waitlisted"
    # A registration held at another space's session (a copy of its session here).
    start = clock.now() + timedelta(days=8)
    elsewhere = RegionalSession(object_id="https://bleau.example.org/regional-session/4",
                                regional_event_object_id="https://bleau.example.org/regional/1",
                                host="https://bleau.example.org", host_name="Bleau", title="Apéro",
                                kind="aperitif", starts_at=start, ends_at=start + timedelta(hours=2))
    session.add_all([elsewhere, RemoteRegistration(
        session_object_id=elsewhere.object_id, host=elsewhere.host, member_id=leaving.id,
        idempotency_key="k" * 32, action="register", status="confirmed", attempt=1)])
    session.commit()
    outbox.clear()

    portal.login("leaving@example.org")
    page = portal.get("/account/").get_data(as_text=True)
    assert "Supprimer mon compte" in page and 'autocomplete="current-password"' in page
    # Without the confirmation: the question, with the password asked again; nothing changes.
    asked = portal.post("/account/erase", {})
    assert asked.status_code == 200 and "data-confirmation" in asked.get_data(as_text=True)
    assert 'name="current_password"' in asked.get_data(as_text=True)
    # A wrong password: refused, nothing changes.
    wrong = portal.post("/account/erase", {"confirm": "1", "current_password": "not-it"})
    assert wrong.status_code == 403 and "Le mot de passe actuel est incorrect" in wrong.get_data(as_text=True)
    session.expire_all()
    assert session.get(Member, leaving_id) is not None and outbox == []

    done = portal.post("/account/erase", {"confirm": "1", "current_password": MEMBER_PASSWORD})
    assert done.status_code == 302
    session.expire_all()
    assert session.get(Member, leaving_id) is None
    assert session.scalar(select(RemoteRegistration)) is None
    # The next in line is offered the seat (or given it), and told.
    mailed = {mail.to for mail in outbox}
    assert "waiting@example.org" in mailed and "leaving@example.org" in mailed
    receipt = next(m for m in outbox if m.to == "leaving@example.org")
    assert "supprimé" in receipt.subject
    # The host of the other session is told to cancel.
    cancel = session.scalars(select(OutboxMessage).where(
        OutboxMessage.message_type == "registration.request")).all()
    assert [json.loads(m.content_json)["action"] for m in cancel] == ["cancel"]
    assert cancel[0].destination == "https://bleau.example.org"
    # Signed out: the account page asks to sign in.
    assert portal.get("/account/").status_code in (302, 401)


def test_a_manager_deletes_an_account_after_confirming_and_the_last_manager_stays(
        client, portal, session, create_member, outbox):
    create_member("gerante@example.org", role="manager")
    gone = create_member("parti@example.org", display_name="Paul Parti")
    gone_id = gone.id
    portal.login("gerante@example.org")
    assert "Supprimer le compte" in portal.get("/admin/members").get_data(as_text=True)
    asked = portal.post(f"/admin/members/{gone.id}/erase", {})
    assert asked.status_code == 200 and "Paul Parti" in asked.get_data(as_text=True)
    session.expire_all()
    assert session.get(Member, gone.id) is not None
    assert portal.post(f"/admin/members/{gone.id}/erase", {"confirm": "1"}).status_code == 302
    session.expire_all()
    assert session.get(Member, gone_id) is None
    assert [m.to for m in outbox] == ["parti@example.org"] and "L’équipe" in outbox[0].body

    # The space's only manager cannot delete their own account: refused, nothing changes.
    refused = portal.post("/account/erase", {"confirm": "1", "current_password": MEMBER_PASSWORD})
    assert refused.status_code == 409
    assert "au moins un" in refused.get_data(as_text=True)
    session.expire_all()
    assert session.scalar(select(Member).where(Member.email == "gerante@example.org")) is not None
