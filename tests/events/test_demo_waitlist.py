"""Issue 4, "Done when": from the demo, a member registers for a full event, lands on the
waitlist, and is offered the seat (a mail with a confirmation deadline) when seats free up."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from node.db import db
from node.demo import build_nodes
from node.models import Event, Member, Registration
from node.notices.event_mail import format_local
from tests.conftest import PG_URL, PortalClient


def _mails(instance: Path) -> list[email.message.EmailMessage]:
    folder = instance / "outbox"
    files = sorted(folder.glob("*.eml")) if folder.exists() else []
    return [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]


def _mails_to(instance: Path, address: str) -> list[email.message.EmailMessage]:
    return [m for m in _mails(instance) if m["To"] == address]


def _status(app, occurrence_id: int, address: str) -> tuple[str, datetime | None]:
    with app.app_context():
        row = db.session.scalar(select(Registration).join(Member, Member.id == Registration.member_id).where(
            Registration.occurrence_id == occurrence_id, Member.email == address))
        return row.status, row.offer_expires_at


@pytest.mark.skipif(bool(PG_URL), reason="the demo runs on embedded SQLite only")
def test_demo_full_workshop_waitlist_then_seat_offered_with_a_deadline(tmp_path, monkeypatch, clock):
    monkeypatch.setenv("COWORKNET_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("COWORKNET_ARGON2_MEMORY_COST", "16")
    nodes, data = build_nodes(tmp_path / "demo")
    marseille = nodes[0]
    instance = tmp_path / "demo" / marseille.slug
    members = marseille.spec["members"]
    with marseille.app.app_context():  # the seeded full workshop (the demo's only event with 3 seats)
        workshop = db.session.scalar(select(Event).where(Event.type == "atelier", Event.capacity == 3))
        event_id, occurrence_id, title, zone = (workshop.id, workshop.occurrences[0].id, workshop.title,
                                                 workshop.timezone)

    def portal_of(address: str) -> PortalClient:
        portal = PortalClient(marseille.app.test_client())
        assert portal.login(address, data["member_password"]).status_code == 302
        return portal

    # The seeded state: three seats taken, one person waiting.
    seated, waiting = members[2]["email"], members[5]["email"]
    assert _status(marseille.app, occurrence_id, seated)[0] == "confirmed"
    assert _status(marseille.app, occurrence_id, waiting)[0] == "waitlisted"

    newcomer_address = members[6]["email"]
    newcomer = portal_of(newcomer_address)
    page = newcomer.post(f"/events/occurrences/{occurrence_id}/register", follow_redirects=True).get_data(as_text=True)
    assert "vous êtes en liste d’attente (position 2)" in page
    assert "position 2" in newcomer.get(f"/events/{event_id}").get_data(as_text=True)

    before, to_waiting = len(_mails(instance)), len(_mails_to(instance, waiting))
    portal_of(seated).post(f"/events/occurrences/{occurrence_id}/cancel", {"confirm": "1"})
    # The first in line is offered the seat; the newcomer still waits, now first.
    assert _status(marseille.app, occurrence_id, waiting)[0] == "offered"
    assert len(_mails(instance)) == before + 1 and len(_mails_to(instance, waiting)) == to_waiting + 1
    assert "position 1" in newcomer.get(f"/events/{event_id}").get_data(as_text=True)

    # The first in line gives the offer up: the seat passes to the newcomer, by mail.
    portal_of(waiting).post(f"/events/occurrences/{occurrence_id}/cancel", {"confirm": "1"})
    status, deadline = _status(marseille.app, occurrence_id, newcomer_address)
    assert status == "offered"
    now = clock.now()  # unpinned: the system clock, which the demo nodes read too
    assert now + timedelta(hours=23) < deadline.replace(tzinfo=UTC) <= now + timedelta(hours=24)
    [offer] = _mails_to(instance, newcomer_address)
    body = offer.get_content()
    assert title in offer["Subject"] and "Une place s’est libérée" in offer["Subject"]
    with marseille.app.test_request_context(), force_locale("fr"):
        written_deadline = format_local(deadline.replace(tzinfo=UTC), zone)
    assert f"si vous confirmez avant le {written_deadline}" in body
    assert f"{marseille.url}/events/{event_id}" in body
    page = newcomer.get(f"/events/{event_id}").get_data(as_text=True)
    assert "Confirmer ma place" in page

    newcomer.post(f"/events/occurrences/{occurrence_id}/confirm")
    assert _status(marseille.app, occurrence_id, newcomer_address) == ("confirmed", None)
    with marseille.app.app_context():
        confirmed = db.session.scalars(select(Registration).where(
            Registration.occurrence_id == occurrence_id, Registration.status == "confirmed")).all()
    assert len(confirmed) == 3  # never more than the capacity
