"""The inbox between real nodes: idempotent handling, the outgoing queue, feed hints."""

from __future__ import annotations

import json
import threading
import time

import pytest
from sqlalchemy import delete, select

from federation.canonical import canonical_dumps
from federation.client import INBOX_PATH
from federation.httpsig import sign_request
from federation.messages import FEED_HINT, REGISTRATION_REQUEST, build_inbox_message, make_object_id
from node.federation import feed, inbox, peers, scheduler
from node.federation.models import DELIVERY_DEAD, DELIVERY_DONE, DELIVERY_PENDING
from node.models import InboxReceipt, OutboxMessage

from .helpers import EVENT, copies, counts, event_content, recording_handler, replace_handler

REGISTRATION = {"session_id": "", "idempotency_key": "reg-8f3a2c91", "display_name": "Alice M."}


@pytest.fixture
def registrations(monkeypatch) -> list:
    handled: list = []

    def handler(session, peer, message):
        handled.append((peer.node_id, message["id"]))
        return {"status": "confirmed", "position": None, "seats": len(handled)}

    replace_handler(monkeypatch, "inbox", REGISTRATION_REQUEST, handler)
    return handled


def registration(a, b) -> dict:
    return dict(REGISTRATION, session_id=f"{b.url}/session/17")


def test_the_same_message_twice_runs_the_handler_once_and_gets_the_same_answer(
    live_nodes, registrations
):
    a, b = live_nodes(2)
    live_nodes.peer(a, b)
    message = build_inbox_message(message_type=REGISTRATION_REQUEST, origin=a.url,
                                  destination=b.url, content=registration(a, b),
                                  key=a.runtime.signing_key())
    client = a.runtime.client(b.url)
    first = client.post_inbox(b.url, message)
    again = client.post_inbox(b.url, message)  # a retry: new signature, new nonce
    client.close()
    assert first == again == {"status": "confirmed", "position": None, "seats": 1}
    assert registrations == [(a.url, message["id"])]
    assert counts(b)["inbox_receipts"] == 1


def test_queued_messages_are_delivered_retried_with_backoff_and_dead_lettered(
    live_nodes, registrations, clock
):
    a, b, c = live_nodes(3)
    live_nodes.peer(a, b)
    live_nodes.peer(a, c)
    with a.session() as session:
        to_b = inbox.send_inbox_message(session, b.url, REGISTRATION_REQUEST, registration(a, b))
        to_c = inbox.send_inbox_message(session, peers.get_peer(session, c.url),
                                        REGISTRATION_REQUEST, registration(a, c))
        session.commit()
        ids = (to_b.id, to_c.id)
    c.stop()  # a dead peer must not stall deliveries to the others
    assert inbox.deliver_due(a.runtime) == 1
    with a.session() as session:
        delivered, waiting = (session.get(OutboxMessage, i) for i in ids)
        assert delivered.status == DELIVERY_DONE and '"confirmed"' in delivered.answer_json
        assert waiting.status == DELIVERY_PENDING and waiting.attempts == 1
        assert waiting.next_attempt_ms > clock.now().timestamp() * 1000 and waiting.last_error
        waiting.next_attempt_ms = 0
        session.commit()
    c.start()
    assert inbox.deliver_due(a.runtime) == 1
    assert len(registrations) == 2

    # A peer that refuses the message (here: it removed us) dead-letters it.
    with c.session() as session:
        peers.remove(session, peers.find_peer(session, a.url))
        session.commit()
    with a.session() as session:
        row = inbox.send_inbox_message(session, c.url, REGISTRATION_REQUEST, registration(a, c),
                                       message_id=make_object_id(a.url, "msg/reg-2"))
        session.commit()
        row_id = row.id
    inbox.deliver_due(a.runtime)
    with a.session() as session:
        row = session.get(OutboxMessage, row_id)
        assert row.status == DELIVERY_DEAD and row.last_error.startswith("not_peer")


def test_deliver_now_sends_right_after_commit(live_nodes, registrations):
    a, b = live_nodes(2)
    live_nodes.peer(a, b)
    with a.session() as session:
        inbox.send_inbox_message(session, b.url, REGISTRATION_REQUEST, registration(a, b),
                                 deliver_now=True)
        session.commit()
    for _ in range(100):
        if registrations:
            break
        time.sleep(0.05)
    assert len(registrations) == 1

    def receipt() -> set[str]:  # the handler runs before its answer is stored: poll for it
        with b.session() as session:
            return set(session.scalars(select(InboxReceipt.message_type)))
    assert wait_for(lambda: REGISTRATION_REQUEST in receipt())


def wait_for(condition, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.mark.real_timers
def test_a_published_change_pokes_the_peer_which_pulls_at_once(live_nodes, monkeypatch):
    prompt = {"FEDERATION_PULL_ON_HINT": True, "FEDERATION_HINT_AFTER_COMMIT": True,
              "FEDERATION_HINT_POLL_SECONDS": 0.1}
    a, b = live_nodes(2, config=prompt)
    live_nodes.peer(a, b)
    replace_handler(monkeypatch, "feed", EVENT, recording_handler([]), live_nodes.nodes)
    # b's scheduler, whose round is an hour away: only its short loop can pull. The commit
    # queues a hint, delivered in the background; b's web request only records it, and the
    # short loop pulls within FEDERATION_HINT_POLL_SECONDS.
    monkeypatch.setattr(scheduler, "run_round", lambda runtime, **_: scheduler.RoundReport(False))
    stop = threading.Event()
    loop = threading.Thread(target=scheduler.run_forever, args=(b.runtime, 3600.0),
                            kwargs={"stop": stop}, daemon=True)
    loop.start()
    try:
        a.publish(EVENT, "event/1", event_content(a.url))
        assert wait_for(lambda: copies(b, a) == {f"{a.url}/event/1": False})
        assert wait_for(lambda: hints(a) == [(b.url, DELIVERY_DONE, 1)])
        a.publish(EVENT, "event/1", deleted=True)
        assert wait_for(lambda: copies(b, a) == {f"{a.url}/event/1": True})
    finally:
        stop.set()
        loop.join(10)
    assert b.peer_row(a).pull_requested_ms == 0


def hints(node) -> list[tuple[str, str, int]]:
    with node.session() as session:
        rows = session.scalars(select(OutboxMessage).where(
            OutboxMessage.message_type == FEED_HINT).order_by(OutboxMessage.id))
        return [(r.destination, r.status, json.loads(r.content_json)["latest_seq"])
                for r in rows]


def test_hints_are_debounced_per_peer_and_sent_only_to_the_affected_peers(live_nodes):
    a, b, c = live_nodes(3)
    live_nodes.peer(a, b)
    live_nodes.peer(a, c)
    (d,) = live_nodes(1, names=["unpeered"])
    a.publish(EVENT, "event/1", event_content(a.url))
    a.publish(EVENT, "event/2", event_content(a.url))
    # One pending hint per approved peer, carrying the latest seq; none for d.
    assert sorted(hints(a)) == sorted([(b.url, DELIVERY_PENDING, 2), (c.url, DELIVERY_PENDING, 2)])
    with a.session() as session:  # a rolled-back publication queues nothing
        feed.publish(session, item_type=EVENT, local_id="event/3", content=event_content(a.url))
        session.rollback()
    assert [h[2] for h in hints(a)] == [2, 2]
    # A per-recipient item only pokes its recipient.
    with a.session() as session:
        session.execute(delete(OutboxMessage))
        session.commit()
    item = a.publish(EVENT, "event/4", event_content(a.url), recipient=c.url)
    assert hints(a) == [(c.url, DELIVERY_PENDING, item["seq"])]
    # Delivered by the round; b, which got nothing new addressed to it, gets no hint.
    a.round()
    with c.session() as session:
        assert session.scalar(select(InboxReceipt.message_type)) == FEED_HINT
    with b.session() as session:
        assert session.scalar(select(InboxReceipt.message_type)) is None
    assert hints(a) == []  # delivered hints are purged by the round's housekeeping
    assert d.peer_row(a) is None


def test_a_message_type_without_handler_is_refused_and_not_remembered(live_nodes):
    a, b = live_nodes(2)
    live_nodes.peer(a, b)
    message = build_inbox_message(message_type="connector.request", origin=a.url,
                                  destination=b.url, key=a.runtime.signing_key(), content={
                                      "request_id": f"{a.url}/connector/1",
                                      "concepts": ["comptabilite"], "message": "Qui ?",
                                      "requester": {"space": "Aix"}})
    before = counts(b)
    del b.runtime.registry.inbox_handlers["connector.request"]  # b: a node without it
    body = canonical_dumps(message)
    headers = sign_request("POST", b.url + INBOX_PATH, body, a.url, a.runtime.signing_key())
    headers["Content-Type"] = "application/json"
    response = b.post_raw(INBOX_PATH, body, headers)
    assert response.status_code == 400 and response.json()["error"]["code"] == "bad_request"
    assert counts(b) == before


def test_only_one_process_runs_a_round(live_nodes):
    (a,) = live_nodes(1)
    with a.session() as session:
        assert scheduler.try_lock(session, scheduler.ROUND_LOCK, "other-host:1")
    assert a.round().ran is False
    with a.session() as session:
        scheduler.release_lock(session, scheduler.ROUND_LOCK, "other-host:1")
    assert a.round().ran is True
