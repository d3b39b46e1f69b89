"""The last seat raced from two nodes, a host that is down then back, and cancellations that
reach every node and every registrant."""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select

from federation.keys import now_ms
from node.federation import inbox
from node.federation.models import DELIVERY_PENDING
from node.models import OutboxMessage, Registration, RemoteRegistration
from tests.regional.conftest import add_member, call, token, wait_delivered


def mails(node) -> list:
    return node.app.extensions["coworknet.mail"].outbox


def test_last_seat_raced_from_two_nodes_one_confirmed_one_waitlisted_then_promoted(week):
    aix, bleau, calanques = week.nodes
    apero = week.sessions["calanques"]  # capacity 1
    racers = [(aix, token(aix, add_member(aix, "alice@aix.example", "Alice"))),
              (bleau, token(bleau, add_member(bleau, "basile@bleau.example", "Basile")))]
    targets = [week.session_id_on(node, apero) for node, _ in racers]
    barrier = threading.Barrier(2)
    codes = []

    def register(index: int) -> None:
        node, headers = racers[index]
        client = node.client()
        barrier.wait()
        codes.append(client.post(f"/api/v1/regional/sessions/{targets[index]}/registration",
                                 headers=headers, json={}).status_code)

    threads = [threading.Thread(target=register, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert codes == [201, 201]
    wait_delivered(aix, bleau)
    with calanques.session() as session:
        statuses = sorted(session.scalars(select(Registration.status)).all())
    assert statuses == ["confirmed", "waitlisted"]
    seen = {}
    for node, headers in racers:
        (mine,) = call(node, "GET", "/me/regional-registrations", headers).json
        seen[node.name] = mine
    assert sorted(m["status"] for m in seen.values()) == ["confirmed", "waitlisted"]
    waiting = next(m for m in seen.values() if m["status"] == "waitlisted")
    assert waiting["position"] == 1
    # The confirmed one cancels: the host promotes the other and tells their node, which mails them.
    winner = next(i for i, (node, _) in enumerate(racers) if seen[node.name]["status"] == "confirmed")
    loser = 1 - winner
    node, headers = racers[winner]
    call(node, "DELETE", f"/regional/sessions/{targets[winner]}/registration", headers)
    wait_delivered(node, calanques)
    other, other_headers = racers[loser]
    (promoted,) = call(other, "GET", "/me/regional-registrations", other_headers).json
    assert promoted["status"] == "confirmed" and promoted["position"] is None
    (gone,) = call(node, "GET", "/me/regional-registrations", headers).json
    assert gone["status"] == "cancelled"
    with calanques.session() as session:
        rows = session.execute(select(Registration.remote_node_id, Registration.status)).all()
    assert sorted(rows) == sorted([(node.url, "cancelled"), (other.url, "confirmed")])
    assert [m.subject for m in mails(other)] == ["Vous avez une place\u00a0: Apéro des calanques"]


def test_host_offline_then_back_pending_resolved_exactly_once(week):
    aix, bleau, _calanques = week.nodes
    meetup = week.session_id_on(aix, week.sessions["bleau"])
    members = [token(aix, add_member(aix, f"m{i}@aix.example", f"Member {i}")) for i in range(2)]
    bleau.stop()
    for headers in members:
        assert call(aix, "POST", f"/regional/sessions/{meetup}/registration", headers, {},
                    expect=201).json["status"] == "pending"
    time.sleep(0.3)  # the immediate delivery attempts fail
    aix.round()
    for headers in members:
        assert [r["status"] for r in call(aix, "GET", "/me/regional-registrations", headers).json] == ["pending"]
        # Clicking again while pending creates nothing.
        call(aix, "POST", f"/regional/sessions/{meetup}/registration", headers, {}, expect=409)
    with aix.session() as session:
        queued = session.scalars(select(OutboxMessage).where(
            OutboxMessage.message_type == "registration.request")).all()
        # Both wait; the destination was probed (backoff is per destination: the first failure
        # holds the other message back until the same next attempt, PROTOCOL §7.5).
        assert len(queued) == 2 and all(m.status == DELIVERY_PENDING for m in queued)
        assert any(m.last_error for m in queued)
        # aix's feed changed too: a "changes available" hint to bleau waits in the queue.
        hints = len(session.scalars(select(OutboxMessage).where(
            OutboxMessage.message_type == "feed.hint",
            OutboxMessage.status == DELIVERY_PENDING)).all())
    bleau.start()
    # The scheduler retries once the backoff is over (an hour later here).
    assert inbox.deliver_due(aix.runtime, now=now_ms() + 3_600_000) == 2 + hints
    for headers in members:
        assert [r["status"] for r in call(aix, "GET", "/me/regional-registrations", headers).json] == ["confirmed"]
    # A retry of a delivered request (its answer lost on the way) gets the same answer, no new seat.
    with aix.session() as session:
        for row in session.scalars(select(OutboxMessage).where(
                OutboxMessage.message_type == "registration.request")):
            row.status, row.next_attempt_ms = DELIVERY_PENDING, 0
        session.commit()
    assert inbox.deliver_due(aix.runtime) == 2
    with bleau.session() as session:
        assert session.scalar(select(func.count()).select_from(Registration)) == 2
        assert set(session.scalars(select(Registration.status))) == {"confirmed"}
    with aix.session() as session:
        assert set(session.scalars(select(RemoteRegistration.status))) == {"confirmed"}


def test_organiser_cancels_a_session_every_node_shows_it_and_registrants_are_told(week):
    aix, bleau, calanques = week.nodes
    compta = week.sessions["aix"]
    local = token(aix, add_member(aix, "local@aix.example", "Local"))
    remote_b = token(bleau, add_member(bleau, "b@bleau.example", "Béa"))
    remote_c = token(calanques, add_member(calanques, "c@calanques.example", "Cyril"))
    call(aix, "POST", f"/regional/sessions/{week.session_id_on(aix, compta)}/registration", local, {}, expect=201)
    for node, headers in ((bleau, remote_b), (calanques, remote_c)):
        call(node, "POST", f"/regional/sessions/{week.session_id_on(node, compta)}/registration",
             headers, {"share_email": True}, expect=201)
    wait_delivered(bleau, calanques)
    assert [m.to for m in mails(aix)] == ["local@aix.example"]  # her confirmation
    mails(aix).clear()
    call(aix, "POST", f"/regional/sessions/{week.session_id_on(aix, compta)}/cancel", week.managers[0])
    wait_delivered(aix)
    week.sync_all()
    for node in week.nodes:
        assert {s["object_id"]: s["status"] for s in week.program(node)}[compta] == "cancelled"
    for node, headers in ((bleau, remote_b), (calanques, remote_c)):
        assert [r["status"] for r in call(node, "GET", "/me/regional-registrations", headers).json] == ["cancelled"]
        assert [m.subject for m in mails(node)] == ["Annulé\u00a0: Atelier compta"]
    assert [m.to for m in mails(aix)] == ["local@aix.example"]
    # Nobody can register for it any more.
    call(bleau, "POST", f"/regional/sessions/{week.session_id_on(bleau, compta)}/registration",
         remote_b, {}, expect=409)
    # A host cancelling through the events admin (not this area) tells remote registrants too.
    bleau_meetup = week.sessions["bleau"]
    call(calanques, "POST", f"/regional/sessions/{week.session_id_on(calanques, bleau_meetup)}/registration",
         remote_c, {}, expect=201)
    wait_delivered(calanques)
    event_id = next(s["event_id"] for s in week.program(bleau) if s["object_id"] == bleau_meetup)
    call(bleau, "POST", f"/admin/events/{event_id}/cancel", week.managers[1])
    wait_delivered(bleau)
    statuses = {r["title"]: r["status"] for r in call(calanques, "GET", "/me/regional-registrations", remote_c).json}
    assert statuses == {"Atelier compta": "cancelled", "Meetup freelances": "cancelled"}
    assert [m.subject for m in mails(calanques)][-1] == "Annulé\u00a0: Meetup freelances"
