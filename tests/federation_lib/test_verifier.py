"""Signatures checked ahead by a worker process: what it vouches for, and only that."""

from __future__ import annotations

import multiprocessing
import os
import signal
from concurrent.futures.process import BrokenProcessPool

import pytest

from federation.canonical import canonical_dumps
from federation.client import canonical_items, decode_feed_page
from federation.encoding import b64url_encode
from federation.errors import BadSignature
from federation.feed import FeedPage, peek_next_after
from federation.messages import DIRECTORY_ENTRY, build_feed_item, verify_feed_page
from federation.verifier import SignatureWorker, VerifiedSignatures, page_signatures

from .conftest import AIX, FONTAINEBLEAU, T0_MS
from .test_messages import ENTRY


def _items(key, count=4, owner=AIX):
    return [build_feed_item(owner=owner, seq=seq, item_type=DIRECTORY_ENTRY,
                            object_id=f"{owner}/directory/{seq}", key=key, content=ENTRY,
                            origin_ts=T0_MS) for seq in range(1, count + 1)]


def _body(items, has_more=True):
    return FeedPage(items=tuple(items), next_after=items[-1]["seq"], has_more=has_more).to_json()


def _verify(body, lookup_key, checks=None):
    page = decode_feed_page(body)
    return verify_feed_page(page["items"], AIX, lookup_key, now_ms=T0_MS, checked=True,
                            encoded=canonical_items(page), checks=checks)


class CountingKey:
    """Counts the verify calls made through :meth:`VerifiedSignatures.verify`."""

    def __init__(self, key):
        self.key, self.public_bytes, self.calls = key, key.public_bytes, 0

    def verify(self, signature, data):
        self.calls += 1
        self.key.verify(signature, data)


def test_the_worker_vouches_for_each_signature_that_verifies(aix_key, add_key, lookup_key):
    add_key(AIX, aix_key)
    items = _items(aix_key)
    body = _body(items)
    triples = page_signatures(body, AIX, {aix_key.key_id: aix_key.public().public_bytes})
    assert len(triples) == len(items)
    checks = VerifiedSignatures(triples)
    # The same verified items as without the worker, and no verify call left to make.
    assert _verify(body, lookup_key, checks) == _verify(body, lookup_key)
    counting = CountingKey(aix_key.public())
    for _public, signature, data in triples:
        checks.verify(counting, signature, data)
    assert counting.calls == 0


def test_what_the_worker_cannot_verify_it_leaves_out(aix_key, fontainebleau_key):
    keys = {aix_key.key_id: aix_key.public().public_bytes}
    items = _items(aix_key)
    forged = dict(items[1], origin_ts=T0_MS + 1)  # the skeleton changed, signature kept
    other_key = _items(fontainebleau_key)[2]  # signed by a key the worker was not given
    other_key = dict(other_key, signatures={AIX: other_key["signatures"][AIX]})
    bad_b64 = dict(items[3], signatures={AIX: {aix_key.key_id: "not base64!"}})
    body = _body([items[0], forged, other_key, bad_b64])
    triples = page_signatures(body, AIX, keys)
    assert [data for _, _, data in triples] == [
        canonical_dumps({k: items[0][k] for k in
                         ("deleted", "hashes", "id", "origin_ts", "owner", "seq", "type")})]
    assert page_signatures(body, FONTAINEBLEAU, keys) == []  # another signer's page
    assert page_signatures(b"{not json", AIX, keys) == []
    assert page_signatures(b'{"items":{}}', AIX, keys) == []
    assert page_signatures(body, AIX, {"ed25519:bad": b"short"}) == []


def test_a_forged_item_fails_here_whatever_the_worker_said(aix_key, add_key, lookup_key):
    """The worker's answer for the genuine page does not cover a forged one: each forged
    signature is verified here, and fails with the error it fails with without a worker."""
    add_key(AIX, aix_key)
    items = _items(aix_key)
    genuine = page_signatures(_body(items), AIX, {aix_key.key_id: aix_key.public().public_bytes})
    signature = items[2]["signatures"][AIX][aix_key.key_id]
    wrong = b64url_encode(bytes(64))  # well-formed, does not verify
    forged_items = [items[0], items[1],
                    dict(items[2], signatures={AIX: {aix_key.key_id: wrong}}),
                    dict(items[3], seq=9)]
    assert signature != wrong
    body = _body(forged_items)
    for checks in (VerifiedSignatures(genuine), None):
        with pytest.raises(BadSignature) as caught:
            _verify(body, lookup_key, checks)
        assert caught.value.message == "signature does not verify"


def test_a_worker_process_checks_pages_and_a_dead_one_fails_its_futures(aix_key):
    keys = {aix_key.key_id: aix_key.public().public_bytes}
    body = _body(_items(aix_key, count=3))
    with SignatureWorker() as worker:
        assert worker.submit(body, AIX, keys).result(timeout=60) == page_signatures(
            body, AIX, keys)
        assert worker.ready  # up: it answered
        children = multiprocessing.active_children()
        assert children  # a process of its own
        for child in children:
            os.kill(child.pid, signal.SIGKILL)
        with pytest.raises(BrokenProcessPool):
            worker.submit(body, AIX, keys).result(timeout=60)



def test_the_next_cursor_is_read_off_a_canonical_page(aix_key):
    items = _items(aix_key, count=3)
    assert peek_next_after(_body(items)) == 3
    assert peek_next_after(_body(items, has_more=False)) is None
    snapshot = FeedPage(items=(), next_after=0, has_more=True, snapshot_required=True)
    assert peek_next_after(snapshot.to_json()) is None
    assert peek_next_after(_body(items).replace(b'"next_after":3', b'"next_after": 3')) is None
    assert peek_next_after(_body(items).replace(b'"next_after":3', b'"next_after":03')) is None
    assert peek_next_after(b'{"has_more":true,"items":[') is None
