"""Registration service: capacity, FCFS waitlist, offers with a deadline, remote registrants."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from node.errors import Conflict, Forbidden, NotFound
from node.events import registrations
from node.events.registrations import Registrant
from node.models import Registration
from tests.conftest import count_rows

TTL = timedelta(hours=24)


@pytest.fixture
def register(session, clock):
    """Factory: ``member`` registers for ``occurrence`` at ``now`` (the test's clock unless given)."""

    def factory(occurrence, member, now=None):
        result = registrations.register(session, occurrence.id, Registrant.local(member),
                                        now or clock.now(), viewer=member)
        session.commit()
        return result.registration

    return factory


def test_capacity_then_fcfs_waitlist(session, make_event, create_member, register):
    event = make_event(capacity=2)
    occurrence = event.occurrences[0]
    people = [create_member() for _ in range(4)]
    rows = [register(occurrence, p) for p in people]
    assert [r.status for r in rows] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert [registrations.waitlist_position(session, r) for r in rows] == [None, None, 1, 2]
    assert registrations.seats_taken(session, occurrence.id) == 2


def test_registering_twice_is_a_conflict_and_writes_nothing(session, make_event, create_member, register):
    occurrence = make_event(capacity=5).occurrences[0]
    member = create_member()
    register(occurrence, member)
    with pytest.raises(Conflict):
        register(occurrence, member)
    session.rollback()
    assert count_rows(session, Registration) == 1


def test_registration_closed_and_not_yet_open(session, make_event, create_member, register, clock):
    now = clock.now()
    member = create_member()
    closed = make_event(registration_closes_at=now + timedelta(days=1)).occurrences[0]
    with pytest.raises(Conflict, match="closed"):
        register(closed, member, now=now + timedelta(days=2))
    session.rollback()
    not_open = make_event(registration_opens_at=now + timedelta(days=3)).occurrences[0]
    with pytest.raises(Conflict, match="not open"):
        register(not_open, member, now=now)
    session.rollback()
    assert count_rows(session, Registration) == 0


def test_cancel_promotes_the_first_in_line_with_a_deadline(app, session, make_event, create_member, register, clock):
    event = make_event(capacity=1)
    occurrence = event.occurrences[0]
    first, second, third = create_member(), create_member(), create_member()
    seat = register(occurrence, first)
    waiting = [register(occurrence, second), register(occurrence, third)]
    now = clock.now()
    offers = registrations.cancel_registration(session, seat, now, TTL)
    session.commit()
    assert [o.id for o in offers] == [waiting[0].id]
    assert waiting[0].status == "offered"
    assert waiting[0].offer_expires_at == min(now + TTL, occurrence.start_at)
    assert registrations.waitlist_position(session, waiting[1]) == 1
    # A newcomer does not pass the people waiting, even while the seat is only offered.
    newcomer = register(occurrence, create_member())
    assert newcomer.status == "waitlisted"
    registrations.confirm_offer(session, waiting[0], now + timedelta(hours=1))
    session.commit()
    assert waiting[0].status == "confirmed"


def test_expired_offer_passes_the_seat_on(session, make_event, create_member, register, clock):
    occurrence = make_event(capacity=1).occurrences[0]
    holder, late, next_one = create_member(), create_member(), create_member()
    seat = register(occurrence, holder)
    offered = register(occurrence, late)
    queued = register(occurrence, next_one)
    now = clock.now()
    registrations.cancel_registration(session, seat, now, TTL)
    session.commit()
    assert registrations.expire_offers(session, now + timedelta(hours=23), TTL) == []
    offers = registrations.expire_offers(session, now + timedelta(hours=25), TTL)
    session.commit()
    assert [o.id for o in offers] == [queued.id]
    session.refresh(offered)
    assert offered.status == "expired" and queued.status == "offered"
    with pytest.raises(Conflict):
        registrations.confirm_offer(session, offered, now + timedelta(hours=26))
    session.rollback()
    # Confirming after the deadline (before the tick ran) is refused as well.
    with pytest.raises(Conflict, match="expired"):
        registrations.confirm_offer(session, queued, now + timedelta(hours=25 + 25))
    session.rollback()


def test_unlimited_capacity_never_waitlists(session, make_event, create_member, register):
    occurrence = make_event(capacity=None).occurrences[0]
    assert {register(occurrence, create_member()).status for _ in range(5)} == {"confirmed"}


def test_cancel_then_register_again_goes_to_the_end(session, make_event, create_member, register, clock):
    occurrence = make_event(capacity=1).occurrences[0]
    a, b, c = create_member(), create_member(), create_member()
    register(occurrence, a)
    row_b = register(occurrence, b)
    register(occurrence, c)
    registrations.cancel_registration(session, row_b, clock.now(), TTL)
    session.commit()
    again = register(occurrence, b)
    assert again.id == row_b.id and registrations.waitlist_position(session, again) == 2


def test_remote_registrants_share_the_same_capacity(session, make_event, create_member, register, clock):
    occurrence = make_event(capacity=2, audience="network").occurrences[0]
    register(occurrence, create_member())
    now = clock.now()
    remote = Registrant.remote("https://aix.example.org", "p-123", "Lucie P.", email="lucie@example.org",
                               idempotency_key="msg-1")
    first = registrations.register(session, occurrence.id, remote, now, idempotent=True)
    again = registrations.register(session, occurrence.id, remote, now, idempotent=True)
    session.commit()
    assert first.created and not again.created and first.registration.id == again.registration.id
    assert first.registration.registrant_kind == "remote" and first.registration.member_id is None
    other = Registrant.remote("https://aix.example.org", "p-456", "Romain F.")
    assert registrations.register(session, occurrence.id, other, now).registration.status == "waitlisted"


def test_remote_cannot_register_to_a_space_only_event(session, make_event, clock):
    occurrence = make_event(audience="space").occurrences[0]
    with pytest.raises(Forbidden):
        registrations.register(session, occurrence.id, Registrant.remote("https://x.example", "r", "X"),
                               clock.now())


def test_member_cannot_register_for_a_draft(session, make_event, create_member, register):
    occurrence = make_event(status="draft").occurrences[0]
    member = create_member()
    with pytest.raises(NotFound):
        register(occurrence, member)


def test_attendance_and_csv_export(session, make_event, create_member, register):
    occurrence = make_event(capacity=1).occurrences[0]
    here = create_member(display_name="Léa Marchetti")
    seat = register(occurrence, here)
    waiting = register(occurrence, create_member(display_name="Théo Çelik"))
    registrations.mark_attendance(session, seat, "present")
    with pytest.raises(Exception, match="confirmed"):
        registrations.mark_attendance(session, waiting, "no_show")
    rows = registrations.attendees(session, occurrence.id)
    body = registrations.attendees_csv(rows, ZoneInfo("Europe/Paris"), {"confirmed": "confirmé",
                                       "waitlisted": "en attente", "present": "présent"},
                                       ["Nom", "Courriel", "Statut", "Présence", "Nœud", "Inscrit le"])
    assert body.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert table[0][4] == "Nœud"
    assert table[1][:4] == ["Léa Marchetti", here.email, "confirmé", "présent"]
    assert table[2][0] == "Théo Çelik" and table[2][2] == "en attente"
