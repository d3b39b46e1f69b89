"""Delivery semantics (PROTOCOL §7.5): which refusals dead-letter a message, how long a message
is retried, what happens at its deadline, and the manager's "send again"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from federation.messages import MAX_INBOX_AGE_MS
from node.federation import inbox
from node.federation.keyring import RUNTIME_INFO_KEY
from node.federation.models import DELIVERY_DEAD, DELIVERY_PENDING, OutboxMessage, Peer
from node.federation.registry import HandlerRegistry, RegistryError
from node.web.peers import skew_label

NOW = datetime(2026, 10, 1, 8, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)
HOUR_MS = 3_600_000


@pytest.mark.parametrize(("status", "code", "permanent"), [
    # Permanent: a retry cannot change the answer.
    (400, "bad_request", True),
    (400, "implausible_value", True),
    (400, "bad_canonical_json", True),
    (401, "bad_signature", True),
    (401, "destination_mismatch", True),
    (403, "not_peer", True),
    (403, "forbidden", True),
    (403, "origin_mismatch", True),
    (404, "not_found", True),
    (409, "conflict", True),
    (413, "payload_too_large", True),
    (415, "unsupported_media_type", True),
    # Transient: a clock apart, a nonce race, a key rotation not yet learnt, limits, crashes.
    (401, "expired_signature", False),
    (401, "replayed_nonce", False),
    (401, "unknown_key", False),
    (429, "rate_limited", False),
    (500, "server_error", False),
    (503, "busy", False),
    (None, None, False),  # no answer at all: down, timeout, connection cut
    # Unknown codes: by HTTP status.
    (400, "something_new", True),
    (408, "something_new", False),
    (429, None, False),
    (502, "unknown", False),
])
def test_refusals_are_permanent_or_transient_by_their_code(status, code, permanent):
    assert inbox.is_permanent_refusal(status, code) is permanent


def row(*, attempts: int = 1, until_ms: int | None = None, queued: datetime = NOW) -> OutboxMessage:
    return OutboxMessage(destination="https://b.example", message_id="https://a.example/msg/1",
                         message_type="registration.request", content_json="{}",
                         status=DELIVERY_PENDING, attempts=attempts, next_attempt_ms=0,
                         created_at=queued, deliver_until_ms=until_ms)


def test_a_message_is_retried_until_its_deadline_then_undeliverable():
    message = row(until_ms=NOW_MS + 2 * HOUR_MS)
    following = inbox.next_attempt_after_failure(message, NOW_MS)
    assert NOW_MS <= following <= NOW_MS + 60_000  # first retry: within the 30-60 s backoff
    # Deep into the backoff, a retry is never planned past the deadline...
    message.attempts = 30
    assert inbox.next_attempt_after_failure(message, NOW_MS + HOUR_MS + 30 * 60_000) <= NOW_MS + 2 * HOUR_MS
    # ...and at the deadline the message is undeliverable, whatever its attempts.
    message.attempts = 2
    assert inbox.next_attempt_after_failure(message, NOW_MS + 2 * HOUR_MS) is None


def test_no_message_is_given_up_for_its_number_of_attempts():
    # 100 attempts (days of downtime at the cap) within the deadline: still retried.
    message = row(attempts=100, until_ms=NOW_MS + 6 * 24 * HOUR_MS)
    assert inbox.next_attempt_after_failure(message, NOW_MS + 5 * 24 * HOUR_MS) is not None


def test_a_deadline_never_passes_the_inbox_retention():
    assert inbox.delivery_deadline_ms(row(until_ms=None)) == NOW_MS + MAX_INBOX_AGE_MS
    assert inbox.delivery_deadline_ms(row(until_ms=NOW_MS + 30 * 24 * HOUR_MS)) == NOW_MS + MAX_INBOX_AGE_MS
    assert inbox.delivery_deadline_ms(row(until_ms=NOW_MS + HOUR_MS)) == NOW_MS + HOUR_MS


def test_every_inbox_type_needs_an_undeliverable_handler():
    registry = HandlerRegistry()
    assert "undeliverable inbox message registration.request" in registry.missing()
    registry.on_undeliverable("registration.request", inbox.hint_undeliverable)
    with pytest.raises(RegistryError, match="two undeliverable handlers"):
        registry.on_undeliverable("registration.request", inbox.hint_undeliverable)
    with pytest.raises(RegistryError, match="not a type of the protocol"):
        registry.on_undeliverable("registration.requets", inbox.hint_undeliverable)


def test_the_app_registers_an_undeliverable_handler_for_every_type(app):
    from schemas.federation import INBOX_MESSAGE_TYPES

    registry = app.extensions[RUNTIME_INFO_KEY].registry
    assert set(registry.undeliverable_handlers) == set(INBOX_MESSAGE_TYPES)


def test_the_manager_sends_an_undeliverable_message_again(session, app):
    message = row(until_ms=NOW_MS)
    message.status, message.attempts, message.last_error = DELIVERY_DEAD, 12, "deadline: late"
    session.add(message)
    session.flush()
    inbox.resend(session, message, NOW_MS)
    assert message.status == DELIVERY_PENDING and message.attempts == 0
    assert message.next_attempt_ms == 0 and message.last_error is None
    assert message.deliver_until_ms == NOW_MS + inbox.DEFAULT_DELIVERY_MS
    from node.errors import Conflict

    with pytest.raises(Conflict):
        inbox.resend(session, message, NOW_MS)  # only a dead one


def test_the_clock_difference_is_worded_for_the_manager(app):
    peer = Peer(node_id="https://b.example", status="approved")
    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        peer.clock_skew_ms = -120_400  # their clock is behind ours: ours is ahead
        assert skew_label(peer) == ("Votre horloge avance de 120 secondes sur celle de ce nœud "
                                    "pair : vérifiez l’heure de ce serveur (NTP).")
        peer.clock_skew_ms = 1_000
        assert skew_label(peer) is None  # within what signatures allow anyway
        peer.clock_skew_ms = 75_000
        assert "retarde de 75 secondes" in skew_label(peer)
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        peer.clock_skew_ms = -120_400
        assert skew_label(peer).startswith("Your clock is 120 seconds ahead of this peer’s")


def test_a_clock_refusal_records_how_far_apart_the_clocks_are():
    peer = Peer(node_id="https://b.example", status="approved")
    inbox.record_clock_skew(peer, NOW_MS - 120_000, NOW_MS)
    assert peer.clock_skew_ms == -120_000 and peer.clock_skew_at is not None
    inbox.record_clock_skew(peer, None, NOW_MS)  # an older peer that does not say
    assert peer.clock_skew_ms == -120_000


def test_reaching_back_after_a_day_not_a_message_dead_after_nine_hours():
    # The old rule (25 attempts) killed a message after roughly 9-18 h of downtime; now a
    # registration for a session in 3 days is still retried after 20 h.
    message = row(attempts=25, until_ms=NOW_MS + 72 * HOUR_MS)
    assert inbox.next_attempt_after_failure(message, NOW_MS + 20 * HOUR_MS) is not None
    assert timedelta(milliseconds=inbox.delivery_deadline_ms(message) - NOW_MS) == timedelta(hours=72)


def test_a_concurrent_insert_on_the_receiver_is_handled_again_never_refused_for_good(
        live_nodes, monkeypatch):
    from sqlalchemy import select as select_
    from sqlalchemy.exc import IntegrityError

    from node.federation.models import InboxReceipt

    from .helpers import replace_handler
    from .hostile import message, post_message

    a, b = live_nodes(2)
    live_nodes.peer(a, b)
    calls: list[int] = []

    def racing(session, peer, received):
        # The first time, another worker inserted the same row first (a regional invitation
        # and the feed item of the same event): the flush clashes.
        calls.append(1)
        if len(calls) == 1:
            raise IntegrityError("INSERT INTO regional_events ...", {}, Exception("UNIQUE"))
        return None

    replace_handler(monkeypatch, "inbox", "regional.report", racing, nodes=[b])
    content = {"regional_event_id": f"{b.url}/regional/1", "sessions": 1, "registrations": 1,
               "remote_registrations": 0, "attendance": 0, "introductions": 0}
    signed = message(a, b, "regional.report", content, local_id="msg/race-1")
    response = post_message(a, b, signed)
    assert response.status_code == 202 and len(calls) == 2  # handled again, in a fresh transaction
    # A clash that persists is answered 503 busy (transient), and nothing is remembered.
    def always(session, peer, received):
        raise IntegrityError("INSERT INTO regional_events ...", {}, Exception("UNIQUE"))

    replace_handler(monkeypatch, "inbox", "regional.report", always, nodes=[b])
    signed = message(a, b, "regional.report", content, local_id="msg/race-2")
    response = post_message(a, b, signed)
    assert response.status_code == 503 and response.json()["error"]["code"] == "busy"
    with b.session() as session:
        assert session.scalar(select_(InboxReceipt).where(
            InboxReceipt.message_id == f"{a.url}/msg/race-2")) is None
    # The sender keeps such a message and retries it.
    with a.session() as session:
        queued = inbox.send_inbox_message(session, b.url, "regional.report", content)
        session.commit()
        queued_id = queued.id
    inbox.deliver_due(a.runtime)
    with a.session() as session:
        queued = session.get(OutboxMessage, queued_id)
        assert queued.status == DELIVERY_PENDING and queued.last_error.startswith("peer_unavailable")


def test_the_peers_page_lists_an_undeliverable_message_and_sends_it_again(
        app, session, portal, create_member):
    create_member("cm@example.org", role="manager")
    message = row(until_ms=NOW_MS)
    message.status, message.last_error = DELIVERY_DEAD, "deadline: not delivered in time"
    session.add(message)
    session.commit()
    portal.login("cm@example.org")
    page = portal.get("/admin/peers").get_data(as_text=True)
    assert f'data-message="{message.id}"' in page and "Renvoyer" in page
    answer = portal.post(f"/admin/peers/messages/{message.id}/resend", {})
    assert answer.status_code == 302
    session.expire_all()
    assert session.get(OutboxMessage, message.id).status == DELIVERY_PENDING
    # A member cannot.
    from tests.conftest import PortalClient

    create_member("m@example.org")
    member = PortalClient(app.test_client())
    member.login("m@example.org")
    assert member.post(f"/admin/peers/messages/{message.id}/resend", {}).status_code == 403


def test_a_row_is_claimed_by_one_worker_at_a_time(session, app):
    message = row()
    session.add(message)
    session.commit()
    assert inbox.claim(session, message.id, NOW_MS)
    assert not inbox.claim(session, message.id, NOW_MS + 1_000)  # held: the other worker skips it
    assert inbox.claim(session, message.id, NOW_MS + inbox.CLAIM_MS + 1)  # a dead holder's claim passed
    session.refresh(message)
    message.status = inbox.DELIVERY_DONE
    message.claimed_until_ms = None
    session.commit()
    assert not inbox.claim(session, message.id, NOW_MS + 2 * inbox.CLAIM_MS)  # delivered: never again


def test_backoff_is_capped_short_for_a_clock_refusal_and_minutes_otherwise():
    message = row(attempts=40, until_ms=NOW_MS + 72 * HOUR_MS)
    for _ in range(20):
        assert inbox.next_attempt_after_failure(message, NOW_MS, clock=True) <= NOW_MS + inbox.CLOCK_RETRY_MS
        assert inbox.next_attempt_after_failure(message, NOW_MS) <= NOW_MS + inbox.MAX_RETRY_MS
    assert inbox.MAX_RETRY_MS <= 5 * 60_000


def test_a_destination_that_answers_brings_its_waiting_messages_forward_not_held_hints(session, app):
    waiting = row()
    waiting.next_attempt_ms = NOW_MS + HOUR_MS
    held = OutboxMessage(destination="https://b.example", message_id="https://a.example/msg/2",
                         message_type="feed.hint", content_json="{}", status=DELIVERY_PENDING,
                         attempts=0, next_attempt_ms=NOW_MS + 400, created_at=NOW)
    elsewhere = OutboxMessage(destination="https://c.example", message_id="https://a.example/msg/3",
                              message_type="registration.request", content_json="{}",
                              status=DELIVERY_PENDING, attempts=1, next_attempt_ms=NOW_MS + HOUR_MS,
                              created_at=NOW)
    session.add_all([waiting, held, elsewhere])
    session.flush()
    assert inbox.bring_forward(session, "https://b.example", NOW_MS) == 1
    session.expire_all()
    assert waiting.next_attempt_ms == NOW_MS
    assert held.next_attempt_ms == NOW_MS + 400  # a hint keeps its coalescing window
    assert elsewhere.next_attempt_ms == NOW_MS + HOUR_MS
