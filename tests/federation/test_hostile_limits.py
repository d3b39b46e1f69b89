"""Per-peer inbound limits (PROTOCOL §10): a peer over one gets ``429 rate_limited`` before
anything of its message is written, the refusal is counted and shown to the manager, and
the other peers are not affected. Also: the unknown-key refetch never runs inside a request
and is rate-limited per peer, for a removed or suspended peer too."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from federation.canonical import canonical_dumps
from federation.httpsig import sign_request
from federation.keys import SigningKey, now_ms
from federation.messages import CONNECTOR_REQUEST, FEED_HINT, build_inbox_message, make_object_id
from node.accounts import accounts
from node.connector.models import QueueItem
from node.federation import inbox, peers, rate_limits
from node.federation.models import DELIVERY_DEAD, DELIVERY_PENDING
from node.models import InboxReceipt, OutboxMessage, RateLimitBucket
from node.network.models import DirectoryExport, Introduction
from node.orm import utcnow
from schemas.federation import INTRODUCTION_WITHDRAWN
from tests.conftest import MEMBER_PASSWORD

from .helpers import counts
from .test_admin import manager_portal

INBOX = "/federation/v1/inbox"
REQUEST_TYPE = "introduction.request"


def send(sender, receiver, message_type: str, content: dict, *, message_id: str | None = None,
         message_key: SigningKey | None = None, request_key: SigningKey | None = None,
         path: str = INBOX):
    message = build_inbox_message(message_type=message_type, origin=sender.url,
                                  destination=receiver.url, content=content,
                                  key=message_key or sender.runtime.signing_key(),
                                  message_id=message_id)
    body = canonical_dumps(message)
    headers = sign_request("POST", receiver.url + path, body, sender.url,
                           request_key or sender.runtime.signing_key())
    headers["Content-Type"] = "application/json"
    return receiver.post_raw(path, body, headers)


def receipts(node, origin=None) -> int:
    with node.session() as session:
        query = select(func.count()).select_from(InboxReceipt)
        if origin is not None:
            query = query.where(InboxReceipt.origin == origin.url)
        return session.scalar(query)


def throttled(node, peer) -> int:
    with node.session() as session:
        return rate_limits.throttles_today(session, [peer.url]).get(peer.url, 0)


def assert_throttled(response) -> None:
    assert response.status_code == 429, response.text
    assert response.json()["error"]["code"] == "rate_limited"


@pytest.fixture(scope="module")
def quartet(tmp_path_factory):
    """a receives; b and c are its peers (b the hostile one); d is a peer a removed, e one
    it suspended. Each test sets the limits it checks on a's config and starts from fresh
    counters."""
    from tests.livenodes import LiveNetwork

    network = LiveNetwork(tmp_path_factory.mktemp("limits"))
    a, b, c, d, e = network(5, names=["aix", "brest", "caen", "dax", "evry"])
    for other in (b, c, d, e):
        network.peer(a, other)
    with a.session() as session:
        peers.remove(session, peers.find_peer(session, d.url))
        peers.suspend(session, peers.find_peer(session, e.url))
        session.commit()
    yield a, b, c, d, e
    network.close()


@pytest.fixture
def nodes(quartet, monkeypatch):
    a = quartet[0]
    with a.session() as session:
        session.query(RateLimitBucket).delete()
        session.commit()
    # One instant for the counters of the whole test: no window ends in the middle of it.
    frozen = now_ms()
    monkeypatch.setattr(rate_limits, "now_ms", lambda: frozen)
    for name in ("FEDERATION_INBOX_PER_TYPE_PER_MINUTE", "FEDERATION_HINTS_PER_MINUTE",
                 "FEDERATION_INTRODUCTIONS_PER_MEMBER_PER_PEER_DAY",
                 "FEDERATION_CONNECTOR_REQUESTS_PER_PEER_DAY"):
        monkeypatch.setitem(a.app.config, name, a.app.config[name])
    return quartet


# --- messages per minute per type, hints per minute -----------------------------------------

def _withdrawn(i: int) -> dict:
    return {"request_id": f"withdrawn-{i}", "pseudonym": "a" * 32}


def _hint(_i: int) -> dict:
    return {"latest_seq": 0}


TYPES = {FEED_HINT: _hint, INTRODUCTION_WITHDRAWN: _withdrawn}


@pytest.mark.parametrize("limit", [1, 2, 3, 5])
@pytest.mark.parametrize("message_type", sorted(TYPES))
def test_messages_of_one_type_per_minute_per_peer(nodes, message_type, limit):
    a, b, c, _d, _e = nodes
    a.app.config["FEDERATION_INBOX_PER_TYPE_PER_MINUTE"] = limit
    a.app.config["FEDERATION_HINTS_PER_MINUTE"] = 100
    content = TYPES[message_type]
    before_b, before_c = receipts(a, b), receipts(a, c)
    for i in range(limit):
        assert send(b, a, message_type, content(i)).status_code in (200, 202)
    before = counts(a)
    for i in range(limit, limit + 2):
        assert_throttled(send(b, a, message_type, content(i)))
    after = counts(a)
    assert after["inbox_receipts"] == before["inbox_receipts"]  # nothing of them written
    assert after["outbox_messages"] == before["outbox_messages"]
    assert receipts(a, b) == before_b + limit
    assert throttled(a, b) == 2 and throttled(a, c) == 0
    # Another peer, and another type, are counted apart.
    assert send(c, a, message_type, content(99)).status_code in (200, 202)
    assert receipts(a, c) == before_c + 1
    other = INTRODUCTION_WITHDRAWN if message_type == FEED_HINT else FEED_HINT
    assert send(b, a, other, TYPES[other](100)).status_code in (200, 202)


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 6])
def test_hints_per_minute_per_peer(nodes, limit, monkeypatch):
    a, b, c, _d, _e = nodes
    monkeypatch.setattr(a.runtime, "pull_on_hint", True)
    a.app.config["FEDERATION_HINTS_PER_MINUTE"] = limit
    before = receipts(a, b)
    answers = [send(b, a, FEED_HINT, {"latest_seq": 0}).status_code for _ in range(limit + 3)]
    assert answers == [202] * limit + [429] * 3
    assert receipts(a, b) == before + limit
    assert throttled(a, b) == 3
    with a.session() as session:
        # The accepted hints asked for one pull between them.
        assert peers.get_peer(session, b.url).pull_requested_ms > 0
    assert send(c, a, FEED_HINT, {"latest_seq": 0}).status_code == 202


def test_a_replayed_message_is_answered_from_its_receipt_without_counting(nodes):
    a, b, _c, _d, _e = nodes
    a.app.config["FEDERATION_HINTS_PER_MINUTE"] = 1
    message_id = make_object_id(b.url, "msg/replayed-hint")
    assert send(b, a, FEED_HINT, {"latest_seq": 0}, message_id=message_id).status_code == 202
    for _ in range(3):  # the sender's retries of one message: the stored answer, no count
        assert send(b, a, FEED_HINT, {"latest_seq": 0}, message_id=message_id).status_code == 202
    assert throttled(a, b) == 0


# --- introduction requests per member per peer per day --------------------------------------

def _member_known_to(a, b, email: str) -> str:
    """A member of a whose directory entry b holds, under a pseudonym of b's: returned."""
    letters = "".join(ch if "a" <= ch <= "z" else "abcdefghij"[int(ch)] if ch.isdigit() else ""
                      for ch in email.split("@")[0])
    pseudonym = ("m" + letters).ljust(32, "q")[:32]
    with a.session() as session:
        member = accounts.create_member(session, a.app.extensions["coworknet.passwords"],
                                        email=email, display_name="Experte",
                                        password=MEMBER_PASSWORD, role="member")
        member.visibility = "network_named"
        session.add(DirectoryExport(member_id=member.id, peer_node_id=b.url, part="",
                                    local_id=f"directory/{pseudonym}", pseudonym=pseudonym,
                                    content_hash="0" * 64, lease_until=utcnow() + timedelta(days=7)))
        session.commit()
    return pseudonym


def _introduction(i: int, pseudonym: str) -> dict:
    return {"request_id": f"intro-{pseudonym}-{i}", "pseudonym": pseudonym,
            "message": "Bonjour, j'aimerais échanger sur la comptabilité.",
            "requester": {"display_name": "Paul", "space": "Brest"}}


def _introductions_to(node, pseudonym: str) -> int:
    with node.session() as session:
        return session.scalar(select(func.count()).select_from(Introduction).where(
            Introduction.direction == "incoming", Introduction.pseudonym == pseudonym))


@pytest.mark.parametrize("limit", [1, 2, 3, 4])
def test_introduction_requests_per_member_per_peer_per_day(nodes, limit):
    a, b, c, _d, _e = nodes
    a.app.config["FEDERATION_INTRODUCTIONS_PER_MEMBER_PER_PEER_DAY"] = limit
    target = _member_known_to(a, b, f"experte{limit}@example.org")
    other = _member_known_to(a, b, f"autre{limit}@example.org")
    for i in range(limit):
        assert send(b, a, REQUEST_TYPE, _introduction(i, target)).status_code == 202
    assert _introductions_to(a, target) == limit
    before = counts(a)
    for i in range(limit, limit + 3):
        assert_throttled(send(b, a, REQUEST_TYPE, _introduction(i, target)))
    assert _introductions_to(a, target) == limit  # nothing written for the refused ones
    assert counts(a)["inbox_receipts"] == before["inbox_receipts"]
    assert throttled(a, b) == 3
    # Another member of ours is not held back by the first one's quota.
    assert send(b, a, REQUEST_TYPE, _introduction(0, other)).status_code == 202
    assert _introductions_to(a, other) == 1


# --- connector requests per peer per day ----------------------------------------------------

def _connector(i: int) -> dict:
    return {"request_id": f"connector-{i}", "concepts": ["comptabilité"],
            "message": "Nous cherchons un comptable.", "requester": {"space": "Brest"}}


def _queue_from(node, peer) -> int:
    with node.session() as session:
        return session.scalar(select(func.count()).select_from(QueueItem).where(
            QueueItem.origin_peer == peer.url))


@pytest.mark.parametrize("limit", [1, 2, 3, 5])
def test_connector_requests_per_peer_per_day(nodes, limit):
    a, b, c, _d, _e = nodes
    a.app.config["FEDERATION_CONNECTOR_REQUESTS_PER_PEER_DAY"] = limit
    start = _queue_from(a, b)
    for i in range(limit):
        assert send(b, a, CONNECTOR_REQUEST, _connector(1000 * limit + i)).status_code == 202
    assert _queue_from(a, b) == start + limit
    before = counts(a)
    for i in range(limit, limit + 3):
        assert_throttled(send(b, a, CONNECTOR_REQUEST, _connector(1000 * limit + i)))
    assert _queue_from(a, b) == start + limit
    assert counts(a)["inbox_receipts"] == before["inbox_receipts"]
    assert throttled(a, b) == 3
    c_start = _queue_from(a, c)
    assert send(c, a, CONNECTOR_REQUEST, _connector(9000 + limit)).status_code == 202
    assert _queue_from(a, c) == c_start + 1


def test_the_manager_sees_that_a_peer_was_throttled(nodes):
    a, b, c, _d, _e = nodes
    a.app.config["FEDERATION_HINTS_PER_MINUTE"] = 1
    send(b, a, FEED_HINT, {"latest_seq": 0})
    for _ in range(2):
        assert_throttled(send(b, a, FEED_HINT, {"latest_seq": 0}))
    portal = manager_portal(a, email="cm-throttle@example.org")
    page = portal.get("/admin/peers")
    row_b = page.text.split(f'data-peer="{b.url}"', 1)[1].split("</tr>", 1)[0]
    row_c = page.text.split(f'data-peer="{c.url}"', 1)[1].split("</tr>", 1)[0]
    assert "2 fois aujourd’hui" in row_b and "freiné" not in row_c


# --- a sender meeting a 429 retries later -----------------------------------------------------

def test_a_message_refused_with_429_is_retried_not_dead_lettered(nodes):
    a, b, _c, _d, _e = nodes
    a.app.config["FEDERATION_INBOX_PER_TYPE_PER_MINUTE"] = 0  # a refuses every message now
    with b.session() as session:
        row = inbox.send_inbox_message(session, a.url, INTRODUCTION_WITHDRAWN, _withdrawn(77))
        session.commit()
        row_id = row.id
    inbox.deliver_due(b.runtime)
    with b.session() as session:
        row = session.get(OutboxMessage, row_id)
        assert row.status == DELIVERY_PENDING and row.status != DELIVERY_DEAD
        assert row.attempts == 1 and row.last_error


# --- the unknown-key refetch: outside the request, rate-limited, none for refused peers -----

def _fetched(node, other) -> int:
    with node.session() as session:
        return peers.get_peer(session, other.url).document_fetched_ms


def _reset_fetched(node, other) -> None:
    with node.session() as session:
        peers.get_peer(session, other.url).document_fetched_ms = 0
        session.commit()


def _feed_get(sender, receiver, key):
    headers = sign_request("GET", receiver.url + "/federation/v1/feed", b"", sender.url, key)
    return receiver.post_raw("/federation/v1/feed", b"", headers, method="GET")


PATHS = {
    "inbox, request signed by an unknown key":
        lambda b, a, key: send(b, a, FEED_HINT, {"latest_seq": 0}, request_key=key),
    "inbox, message signed by an unknown key":
        lambda b, a, key: send(b, a, FEED_HINT, {"latest_seq": 0}, message_key=key),
    "feed, request signed by an unknown key": lambda b, a, key: _feed_get(b, a, key),
    "peering, request and message signed by an unknown key":
        lambda b, a, key: send(b, a, "peering.request",
                               {"name": "B", "city": "Brest", "region": "Bretagne",
                                "contact_email": "contact@brest.example"},
                               message_key=key, request_key=key, path="/federation/v1/peering"),
}


@pytest.mark.parametrize("path", sorted(PATHS))
def test_an_unknown_key_refetches_once_per_window_outside_the_request(nodes, path, monkeypatch):
    a, b, _c, _d, _e = nodes
    monkeypatch.setattr(a.runtime, "key_refetch_ms", 600_000)  # FEDERATION_KEY_REFETCH_SECONDS
    _reset_fetched(a, b)
    before = counts(a)
    answer = PATHS[path](b, a, SigningKey.generate())
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "unknown_key"
    first = _fetched(a, b)
    assert first > 0  # recorded, although the request was refused
    for _ in range(2):
        answer = PATHS[path](b, a, SigningKey.generate())
        assert answer.status_code == 401 and answer.json()["error"]["code"] == "unknown_key"
    assert _fetched(a, b) == first  # no other fetch within the window
    after = counts(a)
    assert after == before


@pytest.mark.parametrize("which", ["removed", "suspended"])
@pytest.mark.parametrize("path", sorted(PATHS))
def test_a_refused_peer_signing_with_an_unknown_key_gets_no_fetch(nodes, which, path,
                                                                  monkeypatch):
    a, _b, _c, d, e = nodes
    sender = d if which == "removed" else e
    monkeypatch.setattr(a.runtime, "key_refetch_ms", 0)  # a fetch would be allowed at once
    _reset_fetched(a, sender)
    before = counts(a)
    answer = PATHS[path](sender, a, SigningKey.generate())
    assert answer.status_code in (401, 403)
    assert answer.json()["error"]["code"] in ("unknown_key", "not_peer")
    assert _fetched(a, sender) == 0  # nothing fetched for a peer we refuse
    assert counts(a) == before

