"""A message signed by a key the node does not know makes it refetch the peer's document:
that fetch happens outside the request's transaction, its rate limit is recorded before the
fetch (so it survives the refused request), and nobody else waits meanwhile."""

from __future__ import annotations

import threading
import time

from federation.canonical import canonical_dumps
from federation.httpsig import sign_request
from federation.keys import SigningKey
from federation.messages import FEED_HINT, build_inbox_message
from node.federation import peers

from .helpers import counts

INBOX = "/federation/v1/inbox"


def _hint(sender, receiver, message_key=None):
    """A hint from ``sender``: the request signed by its real key, the message by
    ``message_key`` (a key ``receiver`` does not know, when given)."""
    message = build_inbox_message(message_type=FEED_HINT, origin=sender.url,
                                  destination=receiver.url, content={"latest_seq": 0},
                                  key=message_key or sender.runtime.signing_key())
    body = canonical_dumps(message)
    headers = sign_request("POST", receiver.url + INBOX, body, sender.url,
                           sender.runtime.signing_key())
    headers["Content-Type"] = "application/json"
    return receiver.post_raw(INBOX, body, headers)


def _timed(fn):
    started = time.monotonic()
    answer = fn()
    return answer, time.monotonic() - started


def _fetched_ms(node, other) -> int:
    with node.session() as session:
        return peers.get_peer(session, other.url).document_fetched_ms


def test_an_unknown_message_key_stalls_nobody_and_its_refetch_limit_holds(live_nodes):
    a, b, c = live_nodes(3, names=["aix", "brest", "caen"],
                         config={"FEDERATION_KEY_REFETCH_SECONDS": 600})
    live_nodes.peer(a, b)
    live_nodes.peer(a, c)
    # Baseline, measured here: another peer's hint and a portal page.
    baseline = max(_timed(lambda: _hint(c, a))[1] for _ in range(3))
    portal = max(_timed(lambda: a.client().get("/login"))[1] for _ in range(3))
    with a.session() as session:  # the last refetch is long past: one is allowed now
        peers.get_peer(session, b.url).document_fetched_ms = 0
        session.commit()
    before = counts(a)
    outcome = {}

    def hostile() -> None:
        outcome["answer"], outcome["took"] = _timed(lambda: _hint(b, a, SigningKey.generate()))

    thread = threading.Thread(target=hostile)
    thread.start()
    others = [_timed(lambda: _hint(c, a))[1] for _ in range(3)]
    pages = [_timed(lambda: a.client().get("/login"))[1] for _ in range(3)]
    thread.join(60)
    answer = outcome["answer"]
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "unknown_key"
    assert outcome["took"] < 10 * baseline + 2, outcome["took"]
    assert max(others) < 10 * baseline + 2, (others, baseline)
    assert max(pages) < 10 * portal + 2, (pages, portal)
    # The refetch was recorded although the request was refused: the next unknown key
    # within FEDERATION_KEY_REFETCH_SECONDS fetches nothing.
    fetched = _fetched_ms(a, b)
    assert fetched > 0
    again = _hint(b, a, SigningKey.generate())
    assert again.status_code == 401 and again.json()["error"]["code"] == "unknown_key"
    assert _fetched_ms(a, b) == fetched
    after = counts(a)
    # c's three hints were each accepted once (a receipt each); b's refused ones left nothing.
    assert after["inbox_receipts"] == before["inbox_receipts"] + 3
    assert after["outbox_messages"] == before["outbox_messages"]
