"""Remote registrations converge (PROTOCOL §7.5): versions and tombstones order the actions on
one registration, a replayed answer never overrides a newer state, queued actions reach a
host that comes back at once, a clock refusal is retried, and the host's digest brings the
member's node back to its truth after a lost message."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from federation.keys import now_ms
from node.federation import inbox
from node.federation.models import DELIVERY_DEAD, DELIVERY_DONE, DELIVERY_PENDING
from node.models import OutboxMessage, Peer, Registration, RemoteRegistration
from node.regional import sync as regional_sync
from node.regional.registration import WIRE_STATUS
from tests.regional.conftest import add_member, call, token, wait_delivered

HOUR_MS = 3_600_000
SEAT_HOLDING = ("confirmed", "waitlisted")


def mails(node) -> list:
    return node.app.extensions["coworknet.mail"].outbox


def register(node, headers, session_id: int, expect: int = 201):
    return call(node, "POST", f"/regional/sessions/{session_id}/registration", headers, {}, expect=expect)


def cancel(node, headers, session_id: int):
    return call(node, "DELETE", f"/regional/sessions/{session_id}/registration", headers)


def member_views(node) -> dict[str, tuple[str, str]]:
    """Every remote registration of ``node``'s members: key -> (action, status)."""
    with node.session() as session:
        return {r.idempotency_key: (r.action, r.status)
                for r in session.scalars(select(RemoteRegistration))}


def host_views(host, origin) -> dict[str, str]:
    """What ``host`` holds for ``origin``'s people: key -> wire status."""
    with host.session() as session:
        return {r.remote_ref: WIRE_STATUS[r.status] for r in session.scalars(
            select(Registration).where(Registration.remote_node_id == origin.url))}


def shown(node, headers) -> list[str]:
    return [r["status"] for r in call(node, "GET", "/me/regional-registrations", headers).json]


def deliver_now(node) -> int:
    """One delivery pass of ``node``'s queue as if every backoff were over. A row the
    after-commit thread is sending is claimed (a delivery pass leaves it alone): that thread
    is waited for first, so the pass sees every row settled or due."""
    assert node.runtime.wait_for_background()
    return inbox.deliver_due(node.runtime, now=now_ms() + HOUR_MS)


def test_register_cancel_register_back_to_back_for_twenty_members_both_sides_agree(week):
    aix, bleau, _calanques = week.nodes
    meetup = week.session_id_on(aix, week.sessions["bleau"])  # capacity 10
    members = [token(aix, add_member(aix, f"t{i}@aix.example", f"Toggler {i}")) for i in range(20)]
    # Each member's actions race each other (one delivery thread per action, no order); the
    # members come by fives so that two in-process SQLite nodes keep up on a shared machine.
    for start in range(0, 20, 5):
        for index in range(start, start + 5):
            register(aix, members[index], meetup)
            cancel(aix, members[index], meetup)
            if index % 2:  # half of them change their mind once more
                register(aix, members[index], meetup)
        wait_delivered(aix, bleau, timeout=60)
    mine, held = member_views(aix), host_views(bleau, aix)
    assert len(mine) == 20
    for key, (action, status) in mine.items():
        at_host = held.get(key, "cancelled")
        if action == "cancel":
            assert status == "cancelled" and at_host == "cancelled", (key, status, at_host)
        else:
            # A seat or a waitlist place on both sides, or none on both (refused: the peer's
            # share of the session was held by the others' cancellations still on their way).
            assert (status in SEAT_HOLDING) == (at_host in SEAT_HOLDING), (key, status, at_host)
            if status in SEAT_HOLDING:
                assert status == at_host, (key, status, at_host)
    assert sum(action == "cancel" for action, _ in mine.values()) == 10
    with bleau.session() as session:
        assert session.query(Registration).filter(Registration.status.in_(("confirmed", "offered"))).count() <= 10


def test_a_cancel_arriving_before_its_register_leaves_a_tombstone_and_no_seat(week):
    aix, bleau, _calanques = week.nodes
    meetup = week.session_id_on(aix, week.sessions["bleau"])
    headers = token(aix, add_member(aix, "late@aix.example", "Late"))
    bleau.stop()
    register(aix, headers, meetup)
    cancel(aix, headers, meetup)
    assert shown(aix, headers) == ["cancel_pending"]  # never "cancelled" while unapplied
    assert aix.runtime.wait_for_background()  # their first attempts failed
    with aix.session() as session:
        first, second = session.scalars(select(OutboxMessage).where(
            OutboxMessage.message_type == "registration.request").order_by(OutboxMessage.id)).all()
        # The register is held back: the cancel reaches the host first.
        first.next_attempt_ms, second.next_attempt_ms = now_ms() + 10 * HOUR_MS, 0
        session.commit()
    bleau.start()
    assert inbox.deliver_due(aix.runtime) >= 2  # the cancel, then the register it brought forward
    with bleau.session() as session:
        assert session.scalars(select(Registration)).all() == []  # the old register took no seat
    assert shown(aix, headers) == ["cancelled"]
    # Registering again (a newer version) does take a seat.
    register(aix, headers, meetup)
    wait_delivered(aix, bleau)
    assert shown(aix, headers) == ["confirmed"]
    assert list(host_views(bleau, aix).values()) == ["confirmed"]


def test_a_replayed_stored_answer_never_overrides_a_promotion(week):
    aix, bleau, calanques = week.nodes
    apero = week.sessions["calanques"]  # capacity 1
    first = token(bleau, add_member(bleau, "first@bleau.example", "First"))
    waiting = token(aix, add_member(aix, "waiting@aix.example", "Waiting"))
    register(bleau, first, week.session_id_on(bleau, apero))
    wait_delivered(bleau)
    register(aix, waiting, week.session_id_on(aix, apero))
    wait_delivered(aix)
    assert shown(aix, waiting) == ["waitlisted"]
    # The answer was cut on its way: the member's node still waits, and will retry.
    with aix.session() as session:
        mine = session.scalar(select(RemoteRegistration))
        mine.status, mine.position, mine.host_seq = "pending", None, 0
        request = session.scalar(select(OutboxMessage).where(
            OutboxMessage.message_type == "registration.request"))
        request.status, request.next_attempt_ms = DELIVERY_PENDING, now_ms() + 10 * HOUR_MS
        session.commit()
    # The first one cancels: the host promotes the waiting person and tells their node.
    cancel(bleau, first, week.session_id_on(bleau, apero))
    wait_delivered(bleau, calanques)
    inbox.deliver_due(calanques.runtime)
    assert shown(aix, waiting) == ["confirmed"]
    # The old request is retried; the host's inbox replays its stored "waitlisted".
    inbox.deliver_due(aix.runtime, now=now_ms() + 11 * HOUR_MS)
    with aix.session() as session:
        replayed = session.scalar(select(OutboxMessage).where(
            OutboxMessage.message_type == "registration.request"))
        assert replayed.status == DELIVERY_DONE and '"waitlisted"' in replayed.answer_json
    assert shown(aix, waiting) == ["confirmed"]
    assert list(host_views(calanques, aix).values()) == ["confirmed"]


def test_cancellations_made_while_the_host_is_down_reach_it_at_once_when_it_is_back(week):
    aix, bleau, _calanques = week.nodes
    meetup = week.session_id_on(aix, week.sessions["bleau"])
    members = [token(aix, add_member(aix, f"d{i}@aix.example", f"Down {i}")) for i in range(4)]
    for headers in members:
        register(aix, headers, meetup)
    wait_delivered(aix, bleau)
    bleau.stop()
    for headers in members:
        cancel(aix, headers, meetup)
        assert shown(aix, headers) == ["cancel_pending"]
    assert aix.runtime.wait_for_background()  # their first attempts failed
    with aix.session() as session:
        queued = session.scalars(select(OutboxMessage).where(
            OutboxMessage.message_type == "registration.request",
            OutboxMessage.status == DELIVERY_PENDING).order_by(OutboxMessage.id)).all()
        assert len(queued) == 4
        # Each waits for its own backoff; only the first is due when the host is back.
        for index, row in enumerate(queued):
            row.next_attempt_ms = 0 if index == 0 else now_ms() + (index + 1) * HOUR_MS
        session.commit()
    bleau.start()
    inbox.deliver_due(aix.runtime)  # the first success brings the others forward
    with aix.session() as session:
        assert set(session.scalars(select(OutboxMessage.status).where(
            OutboxMessage.message_type == "registration.request"))) == {DELIVERY_DONE}
    for headers in members:
        assert shown(aix, headers) == ["cancelled"]
    assert set(host_views(bleau, aix).values()) == {"cancelled"}


def test_a_clock_refusal_is_retried_and_delivered_once_the_clock_is_fixed(week, monkeypatch):
    aix, bleau, _calanques = week.nodes
    meetup = week.session_id_on(aix, week.sessions["bleau"])
    headers = token(aix, add_member(aix, "skew@aix.example", "Skew"))
    import federation.client

    real_sign = federation.client.sign_request

    def ahead(method, url, body, signer, key, now=None, **kwargs):
        # Aix's clock is 120 s ahead: its signatures are dated in the receiver's future.
        now = (now if now is not None else now_ms() // 1000) + (120 if signer == aix.url else 0)
        return real_sign(method, url, body, signer, key, now=now, **kwargs)

    monkeypatch.setattr(federation.client, "sign_request", ahead)
    monkeypatch.setattr(inbox, "now_ms", lambda: now_ms() + 120_000)
    register(aix, headers, meetup)
    deliver_now(aix)
    with aix.session() as session:
        request = session.scalar(select(OutboxMessage).where(
            OutboxMessage.message_type == "registration.request"))
        assert request.status == DELIVERY_PENDING  # not dead: a clock refusal is transient
        assert request.last_error.startswith("expired_signature")
        peer = session.scalar(select(Peer).where(Peer.node_id == bleau.url))
        assert -125_000 < peer.clock_skew_ms < -115_000
    assert shown(aix, headers) == ["pending"]
    # The manager sees it on the peers page, in French.
    from tests.federation.test_admin import manager_portal

    page = manager_portal(aix, "cm@aix.example").get("/admin/peers").get_data(as_text=True)
    assert "Votre horloge avance de 120 secondes sur celle de ce nœud pair" in page
    monkeypatch.undo()  # the clock is fixed
    deliver_now(aix)
    assert shown(aix, headers) == ["confirmed"]
    with aix.session() as session:
        assert session.scalar(select(Peer.clock_skew_ms).where(Peer.node_id == bleau.url)) is None


def test_the_hosts_digest_repairs_a_dropped_answer_and_a_lost_promotion(week):
    aix, bleau, calanques = week.nodes
    apero = week.sessions["calanques"]  # capacity 1
    first = token(bleau, add_member(bleau, "f@bleau.example", "First"))
    waiting = token(aix, add_member(aix, "w@aix.example", "Waiting"))
    register(bleau, first, week.session_id_on(bleau, apero))
    wait_delivered(bleau)
    register(aix, waiting, week.session_id_on(aix, apero))
    wait_delivered(aix)
    # Dropped answer: the host holds "waitlisted", the member's node never learnt it.
    with aix.session() as session:
        mine = session.scalar(select(RemoteRegistration))
        mine.status, mine.position, mine.host_seq = "pending", None, 0
        session.commit()
    # The host's promotion message is lost too (its peer was away until the deadline).
    aix.stop()
    cancel(bleau, first, week.session_id_on(bleau, apero))
    wait_delivered(bleau)
    assert calanques.runtime.wait_for_background()
    with calanques.session() as session:
        response = session.scalar(select(OutboxMessage).where(
            OutboxMessage.message_type == "registration.response",
            OutboxMessage.destination == aix.url))
        assert response.status == DELIVERY_PENDING
        response.deliver_until_ms, response.next_attempt_ms = now_ms() - 1, 0  # deadline passed
        session.commit()
    inbox.deliver_due(calanques.runtime)
    with calanques.session() as session:
        assert session.scalar(select(OutboxMessage.status).where(
            OutboxMessage.message_type == "registration.response",
            OutboxMessage.destination == aix.url)) == DELIVERY_DEAD
        # Digests already queued while aix was away are dropped: this round replaces them.
        for row in session.scalars(select(OutboxMessage).where(
                OutboxMessage.message_type == "registration.digest")):
            session.delete(row)
        session.commit()
    assert shown(aix, waiting) == ["pending"]
    aix.start()
    # One round of the host: its digest to aix (to aix only) carries the truth.
    with calanques.app.app_context():
        from node.db import db

        assert regional_sync.send_digests(db.session, datetime.now(UTC)) >= 1
        db.session.commit()
        digests = db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.message_type == "registration.digest")).all()
        assert {d.destination for d in digests} <= {aix.url, bleau.url}
        to_bleau = [d for d in digests if d.destination == bleau.url]
        assert all(aix_key not in d.content_json for d in to_bleau
                   for aix_key in member_views(aix))
    deliver_now(calanques)
    assert shown(aix, waiting) == ["confirmed"]
    assert list(host_views(calanques, aix).values()) == ["confirmed"]
    with calanques.session() as session:
        assert session.scalar(select(OutboxMessage.status).where(
            OutboxMessage.message_type == "registration.digest",
            OutboxMessage.destination == aix.url)) == DELIVERY_DONE



def test_a_registration_that_never_reaches_the_host_in_time_is_told_and_can_be_sent_again(week):
    aix, bleau, _calanques = week.nodes
    meetup = week.session_id_on(aix, week.sessions["bleau"])
    member_id = add_member(aix, "far@aix.example", "Far")
    headers = token(aix, member_id)
    bleau.stop()
    register(aix, headers, meetup)
    assert aix.runtime.wait_for_background()
    with aix.session() as session:
        request = session.scalar(select(OutboxMessage).where(
            OutboxMessage.message_type == "registration.request"))
        # Queued until the session starts, not for a number of attempts.
        start_ms = int(week.start.timestamp() * 1000) + 24 * HOUR_MS + 2 * HOUR_MS
        assert request.deliver_until_ms == start_ms
        assert request.status == DELIVERY_PENDING and request.last_error
        request.deliver_until_ms, request.next_attempt_ms = now_ms() - 1, 0  # the session began
        session.commit()
    inbox.deliver_due(aix.runtime)
    assert shown(aix, headers) == ["undelivered"]
    from node.models import Notification

    with aix.session() as session:
        told = session.scalars(select(Notification).where(Notification.member_id == member_id)).all()
        assert [n.kind for n in told] == ["registration.undelivered"]
        request = session.scalar(select(OutboxMessage).where(
            OutboxMessage.message_type == "registration.request"))
        assert request.status == DELIVERY_DEAD and request.last_error.startswith("deadline")
        dead_id = request.id
    # The manager sends it again once the host is back (the API; the peers page has a button).
    bleau.start()
    manager = week.managers[0]
    listed = call(aix, "GET", "/admin/federation/outbox?status=dead", manager).json
    assert dead_id in [m["id"] for m in listed]
    call(aix, "POST", f"/admin/federation/outbox/{dead_id}/resend", manager)
    inbox.deliver_due(aix.runtime)
    assert shown(aix, headers) == ["confirmed"]
    assert list(host_views(bleau, aix).values()) == ["confirmed"]
