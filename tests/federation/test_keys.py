"""Node keys between real nodes: rotation with a chain, revocation, cache poisoning."""

from __future__ import annotations

import pytest

from federation.canonical import canonical_dumps
from federation.errors import ExpiredSignature
from federation.httpsig import sign_request
from federation.keys import SigningKey, now_ms, verify_node_document
from federation.messages import FEED_HINT, build_feed_item, build_inbox_message, verify_feed_item
from node.federation import identity, keyring, peers

from .helpers import EVENT, copies, event_content, recording_handler, replace_handler


@pytest.fixture(autouse=True)
def _handler(monkeypatch):
    replace_handler(monkeypatch, "feed", EVENT, recording_handler([]))


def test_node_document_is_self_signed_and_lists_old_and_revoked_keys(live_nodes):
    (a,) = live_nodes(1)
    document = a.client().get("/.well-known/coworknet", base_url=a.url).json
    assert verify_node_document(document, expected_node_id=a.url).name == a.runtime.name
    first = a.runtime.signing_key().key_id
    with a.session() as session:
        new = keyring.rotate_key(session, a.runtime)
        session.commit()
    document = a.client().get("/.well-known/coworknet", base_url=a.url).json
    verify_node_document(document, expected_node_id=a.url)
    assert list(document["verify_keys"]) == [new.key_id]
    assert first in document["old_verify_keys"]
    # The old key co-signs during the overlap: that is the rotation chain.
    assert set(document["signatures"][a.url]) == {new.key_id, first}
    with a.session() as session:
        keyring.revoke_key(session, a.runtime, first)
        session.commit()
    document = a.client().get("/.well-known/coworknet", base_url=a.url).json
    assert first in document["revoked_keys"] and set(document["signatures"][a.url]) == {new.key_id}


def test_rotation_keeps_old_items_valid_and_new_ones_verify(live_nodes):
    a, b = live_nodes(2)
    live_nodes.peer(a, b)
    old_item = a.publish(EVENT, "event/1", event_content(a.url))
    b.sync()
    with a.session() as session:
        keyring.rotate_key(session, a.runtime)
        session.commit()
    a.publish(EVENT, "event/2", event_content(a.url))
    result = b.sync()[0]
    assert result.error is None and result.applied == 1
    assert set(copies(b, a)) == {f"{a.url}/event/1", f"{a.url}/event/2"}
    # b learnt the new key through the chain and still verifies what the old key signed.
    with b.session() as session:
        peer = peers.get_peer(session, a.url)
        assert set(keyring.peer_keys(peer)) == {next(iter(old_item["signatures"][a.url])),
                                               a.runtime.signing_key().key_id}
        verify_feed_item(old_item, a.url, keyring.lookup_for_peer(session, b.runtime, peer))
    # a's requests, now signed with its new key, are accepted by b.
    assert a.sync()[0].error is None


def test_a_key_change_without_a_chain_is_refused_until_reapproval(live_nodes):
    a, b = live_nodes(2)
    live_nodes.peer(a, b)
    a.publish(EVENT, "event/1", event_content(a.url))
    b.sync()
    # a's key file replaced by an unrelated key (reinstall, or an attacker's document).
    identity.key_path(a.runtime.instance_path).unlink()
    intruder = a.runtime.signing_key()
    a.publish(EVENT, "event/2", event_content(a.url))
    result = b.sync()[0]
    assert result.error == "unknown_key"
    with b.session() as session:
        peer = peers.get_peer(session, a.url)
        assert intruder.key_id not in keyring.peer_keys(peer)  # the cache was not poisoned
    assert set(copies(b, a)) == {f"{a.url}/event/1"}


def test_a_revoked_key_is_refused_for_new_signatures(live_nodes):
    a, b = live_nodes(2)
    live_nodes.peer(a, b)
    old_key = a.runtime.signing_key()
    with a.session() as session:
        keyring.rotate_key(session, a.runtime)
        session.commit()
        keyring.revoke_key(session, a.runtime, old_key.key_id)
        session.commit()
    with b.session() as session:
        peer = peers.get_peer(session, a.url)
        assert keyring.refresh_peer_keys(session, b.runtime, peer, force=True)
        record = keyring.peer_keys(peer)[old_key.key_id]
        assert record.revoked_at is not None
        # A refetch that "forgets" the revocation cannot undo it: knowledge only narrows.
        late = build_feed_item(owner=a.url, seq=99, item_type=EVENT, object_id=f"{a.url}/event/x",
                               key=old_key, content=event_content(a.url))
        with pytest.raises(ExpiredSignature):
            verify_feed_item(late, a.url, keyring.lookup_for_peer(session, b.runtime, peer))
    # A request signed with the revoked key is refused.
    message = build_inbox_message(message_type=FEED_HINT, origin=a.url, destination=b.url,
                                  content={"latest_seq": 0}, key=old_key)
    body = canonical_dumps(message)
    headers = sign_request("POST", b.url + "/federation/v1/inbox", body, a.url, old_key)
    headers["Content-Type"] = "application/json"
    response = b.post_raw("/federation/v1/inbox", body, headers)
    assert response.status_code == 401 and response.json()["error"]["code"] == "expired_signature"


def test_unknown_key_refetch_is_rate_limited(live_nodes):
    a, b = live_nodes(2, config={"FEDERATION_KEY_REFETCH_SECONDS": 600})
    live_nodes.peer(a, b)
    with b.session() as session:
        peer = peers.get_peer(session, a.url)
        peer.document_fetched_ms = now_ms()
        session.commit()
        stranger = SigningKey.generate()
        lookup = keyring.lookup_for_peer(session, b.runtime, peer)
        assert lookup(a.url, stranger.key_id) is None
        assert keyring.refresh_peer_keys(session, b.runtime, peer) is False  # too soon
