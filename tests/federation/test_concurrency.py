"""Several workers at once: concurrent publishers, concurrent duplicate messages, resync."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from federation.messages import REGISTRATION_REQUEST, build_inbox_message
from node.federation import feed
from node.models import FeedCopy, FeedEntry

from .helpers import (
    EVENT,
    also_register,
    copies,
    event_content,
    recording_handler,
    replace_handler,
)


def test_concurrent_publishers_get_distinct_seqs_and_readers_miss_nothing(live_nodes, monkeypatch):
    replace_handler(monkeypatch, "feed", EVENT, recording_handler([]))
    a, b = live_nodes(2)
    live_nodes.peer(a, b)
    errors: list = []

    def publisher(worker: int) -> None:
        try:
            for i in range(8):
                a.publish(EVENT, f"event/{worker}-{i}", event_content(a.url))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def reader() -> None:
        for _ in range(6):
            b.sync()

    threads = [threading.Thread(target=publisher, args=(w,)) for w in range(4)]
    threads.append(threading.Thread(target=reader))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with a.session() as session:
        seqs = session.scalars(select(FeedEntry.seq).order_by(FeedEntry.seq)).all()
    assert len(seqs) == len(set(seqs)) == 32
    b.sync()
    assert len(copies(b, a)) == 32


def test_the_same_message_sent_concurrently_is_handled_once(live_nodes, monkeypatch):
    handled: list = []

    def handler(session, peer, message):
        handled.append(message["id"])
        return {"status": "confirmed", "position": None}

    replace_handler(monkeypatch, "inbox", REGISTRATION_REQUEST, handler)
    a, b = live_nodes(2)
    live_nodes.peer(a, b)
    message = build_inbox_message(
        message_type=REGISTRATION_REQUEST, origin=a.url, destination=b.url,
        key=a.runtime.signing_key(), content={"session_id": f"{b.url}/session/1",
                                              "idempotency_key": "reg-concurrent",
                                              "display_name": "Alice"})
    answers: list = []

    def send() -> None:
        client = a.runtime.client(b.url)
        try:
            answers.append(client.post_inbox(b.url, message))
        finally:
            client.close()

    threads = [threading.Thread(target=send) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 5 and all(x == {"status": "confirmed", "position": None}
                                     for x in answers)
    assert handled == [message["id"]]


def test_a_cursor_older_than_retention_triggers_a_full_resync(live_nodes, monkeypatch, clock):
    replace_handler(monkeypatch, "feed", EVENT, recording_handler([]))
    resyncs: list = []
    also_register(monkeypatch, "on_resync_complete",
                  lambda session, peer, started: resyncs.append(peer.node_id) or 0)
    expired: list = []
    also_register(monkeypatch, "lease_expirer", lambda session, now: expired.append(now) or 0)
    a, b = live_nodes(2)
    live_nodes.peer(a, b)
    a.publish(EVENT, "event/keep", event_content(a.url))
    a.publish(EVENT, "event/gone", event_content(a.url))
    b.sync()
    assert b.peer_row(a).last_applied_seq == 2
    # a deletes event/gone, then purges that tombstone after the retention period:
    a.publish(EVENT, "event/gone", deleted=True)
    a.publish(EVENT, "event/new", event_content(a.url))
    with a.session() as session:
        assert feed.purge_tombstones(session, clock.now() + timedelta(days=31)) == 1
        session.commit()
    result = b.sync()[0]
    assert result.error is None
    # b never saw the tombstone, yet the resync dropped its stale copy.
    assert set(copies(b, a)) == {f"{a.url}/event/keep", f"{a.url}/event/new"}
    assert resyncs == [a.url] and expired
    with b.session() as session:
        assert session.scalar(select(func.count()).select_from(FeedCopy)) == 2
