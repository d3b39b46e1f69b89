"""A hostile peer enrols this node in its event, or signs with a key it revoked.

- ``participants`` (PROTOCOL §6.1): an organiser's list never speaks for the receiver (its own
  row comes from the invitation it received and its manager's answer only), and a third node
  is named only once it published a session of the event itself.
- Revocation (PROTOCOL §3.4): a revoked key signs nothing any more, whatever date an item or a
  message claims; the owner re-signs what it had signed; a reader that learns of the
  revocation reads the feed again from 0 and keeps what verifies with the current key.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from federation.canonical import canonical_dumps
from federation.keys import now_ms
from federation.messages import (
    DIRECTORY_ENTRY,
    EVENT_REGIONAL,
    EVENT_SESSION,
    FEED_HINT,
    PEER_STATS,
    REGIONAL_INVITATION,
)
from node.federation import feed, keyring, peers
from node.regional import regional
from node.regional.models import RegionalEvent, RegionalParticipant
from tests.livenodes import LiveNetwork

from .helpers import event_content
from .hostile import (
    INBOX,
    message,
    post_message,
    refusal,
    serve,
    signed_headers,
    signed_item,
    snapshot,
)
from .test_hostile_content import entry, session_content, stats

# --- participants ---------------------------------------------------------------------------


def _regional(node, object_id: str) -> tuple[RegionalEvent | None, list[RegionalParticipant],
                                              list[str]]:
    with node.session() as session:
        row = regional.by_object_id(session, object_id)
        if row is None:
            return None, [], []
        rows = regional.participants(session, row)
        named = [p.node_id for p in regional.named_participants(session, row)]
        session.expunge_all()
        return row, rows, named


def _invite(hostile, victim, object_id: str) -> None:
    content = {**event_content(hostile.url), "regional_event_id": object_id,
               "organiser_name": "Hostile"}
    response = post_message(hostile, victim, message(hostile, victim, REGIONAL_INVITATION, content,
                                                     local_id=f"msg/invite/{now_ms()}"))
    assert response.status_code == 202, response.text


def _set_our_status(victim, object_id: str, status: str | None) -> None:
    if status is None:
        return
    with victim.session() as session:
        row = regional.by_object_id(session, object_id)
        mine = regional.participant(session, row, victim.url)
        mine.status = status
        session.commit()


@pytest.mark.parametrize("ours", [None, "invited", "declined"])
def test_an_organiser_cannot_list_us_as_a_co_organiser(live_nodes, ours):
    """Not invited, invited without an answer, or declined: listing us changes nothing of our
    participation, and our program does not name us."""
    victim, hostile = live_nodes(2, names=["victim", "hostile"])
    live_nodes.peer(victim, hostile)
    object_id = f"{hostile.url}/regional/1"
    if ours is not None:
        _invite(hostile, victim, object_id)
        _set_our_status(victim, object_id, ours)
    content = {**event_content(hostile.url), "participants": [victim.url]}
    serve(hostile, [signed_item(hostile, EVENT_REGIONAL, "regional/1", content, seq=1)])
    (result,) = victim.sync()
    assert result.error is None and result.applied == 1
    row, rows, named = _regional(victim, object_id)
    assert row is not None  # the event itself is copied
    assert [(p.node_id, p.status) for p in rows] == ([] if ours is None else [(victim.url, ours)])
    assert named == []


def test_our_acceptance_stands_and_is_named(live_nodes):
    """The control: once our manager accepted, the organiser's listing agrees and we are
    named."""
    victim, hostile = live_nodes(2, names=["victim", "hostile"])
    live_nodes.peer(victim, hostile)
    object_id = f"{hostile.url}/regional/1"
    _invite(hostile, victim, object_id)
    _set_our_status(victim, object_id, "accepted")
    content = {**event_content(hostile.url), "participants": [victim.url]}
    serve(hostile, [signed_item(hostile, EVENT_REGIONAL, "regional/1", content, seq=1)])
    victim.sync()
    _row, rows, named = _regional(victim, object_id)
    assert [(p.node_id, p.status) for p in rows] == [(victim.url, "accepted")]
    assert named == [victim.url]


def test_a_third_node_is_named_only_once_it_published_a_session(live_nodes):
    victim, hostile, third = live_nodes(3, names=["victim", "hostile", "third"])
    live_nodes.peer(victim, hostile)
    live_nodes.peer(victim, third)
    object_id = f"{hostile.url}/regional/1"
    content = {**event_content(hostile.url), "participants": [third.url]}
    serve(hostile, [signed_item(hostile, EVENT_REGIONAL, "regional/1", content, seq=1)])
    victim.sync()
    _row, rows, named = _regional(victim, object_id)
    assert [p.node_id for p in rows] == [third.url] and named == []
    # The third node's own word: a session of the event, which it signed.
    third.publish(EVENT_SESSION, "regional-session/1", session_content(third.url, hostile.url))
    victim.sync()
    assert _regional(victim, object_id)[2] == [third.url]


# --- revoked keys -----------------------------------------------------------------------------


def _refresh(victim, hostile) -> None:
    with victim.session() as session:
        peer = peers.get_peer(session, hostile.url)
        assert keyring.refresh_peer_keys(session, victim.runtime, peer, force=True)
        session.commit()


@pytest.fixture(scope="module")
def revoked(tmp_path_factory):
    """``hostile`` published an event, then rotated its key and revoked the old one (which
    re-signed its feed); ``victim`` learnt of the revocation and read the feed again."""
    network = LiveNetwork(tmp_path_factory.mktemp("revoked"))
    victim, hostile = network(2, names=["victim", "hostile"])
    network.peer(victim, hostile)
    hostile.publish(EVENT_REGIONAL, "regional/1", event_content(hostile.url))
    victim.sync()
    old_key = hostile.runtime.signing_key()
    with hostile.session() as session:
        keyring.rotate_key(session, hostile.runtime)
        session.commit()
    _refresh(victim, hostile)  # the new key, co-signed by the old one during the overlap
    with hostile.session() as session:
        feed.revoke_key(session, hostile.runtime, old_key.key_id)
        session.commit()
    _refresh(victim, hostile)  # the revocation
    assert victim.peer_row(hostile).last_applied_seq == 0  # reading again from 0
    yield victim, hostile, old_key
    network.close()


def test_the_owner_publishes_again_and_the_reader_keeps_what_verifies(revoked):
    victim, hostile, old_key = revoked
    with hostile.session() as session:
        from node.models import FeedEntry

        items = [entry_row.item_json for entry_row in session.scalars(select(FeedEntry))]
    assert items and all(old_key.key_id not in item for item in items)
    (result,) = victim.sync()
    assert result.error is None
    row = victim.peer_row(hostile)
    assert row.resync_started_at is None and row.last_applied_seq >= 1
    assert _regional(victim, f"{hostile.url}/regional/1")[0] is not None


BACKDATED = {
    "regional event": (EVENT_REGIONAL, lambda h: event_content(h.url)),
    "session": (EVENT_SESSION, lambda h: session_content(h.url, h.url)),
    "stats": (PEER_STATS, lambda h: stats()),
    "directory entry": (DIRECTORY_ENTRY, lambda h: entry()),
    "tombstone": (EVENT_REGIONAL, lambda h: None),
}


@pytest.mark.parametrize("case", sorted(BACKDATED))
def test_an_item_signed_by_a_revoked_key_is_refused_whatever_its_date(revoked, case):
    victim, hostile, old_key = revoked
    victim.sync()
    cursor = victim.peer_row(hostile).last_applied_seq
    item_type, make = BACKDATED[case]
    with hostile.session() as session:
        from node.federation.feed import latest_seq

        seq = max(latest_seq(session), cursor) + 1
    # Dated a day before the revocation, as a thief would.
    forged = signed_item(hostile, item_type, f"forged/{seq}", make(hostile), seq=seq,
                         origin_ts=now_ms() - 86_400_000, key=old_key)
    serve(hostile, [forged])
    before = snapshot(victim)
    (result,) = victim.sync()
    assert result.error == "expired_signature" and result.applied == 0
    assert snapshot(victim) == before


def test_a_message_signed_by_a_revoked_key_is_refused_whatever_its_date(revoked):
    victim, hostile, old_key = revoked
    signed = message(hostile, victim, FEED_HINT, {"latest_seq": 0}, local_id="msg/backdated",
                     origin_ts=now_ms() - 86_400_000, key=old_key)
    before = snapshot(victim)
    assert refusal(post_message(hostile, victim, signed)) == (401, "expired_signature")
    assert snapshot(victim) == before


def test_a_request_signed_by_a_revoked_key_is_refused(revoked):
    victim, hostile, old_key = revoked
    body = canonical_dumps(message(hostile, victim, FEED_HINT, {"latest_seq": 0},
                                   local_id="msg/old-request"))
    before = snapshot(victim)
    response = victim.post_raw(INBOX, body, signed_headers(hostile, victim, INBOX, body,
                                                           key=old_key))
    assert refusal(response) == (401, "expired_signature")
    assert snapshot(victim) == before
