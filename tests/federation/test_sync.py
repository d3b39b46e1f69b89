"""Three real nodes on loopback: peering, pull sync, catch-up, tombstones, crashes, outages."""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import signal
import time

import pytest
from sqlalchemy import func, select

from federation import pull
from federation.canonical import canonical_dumps
from federation.encoding import b64url_encode
from federation.keys import VerifyKey, now_ms
from federation.messages import verify_feed_item
from node.federation import keyring, peers, sync
from node.federation.models import APPROVED
from node.models import FederationSetting, FeedCopy, FeedEntry

from .helpers import EVENT, copies, event_content, recording_handler, replace_handler


@pytest.fixture
def calls(monkeypatch) -> list:
    recorded: list = []
    replace_handler(monkeypatch, "feed", EVENT, recording_handler(recorded))
    return recorded


def test_three_nodes_peer_and_every_change_reaches_the_others(live_nodes, calls):
    a, b, c = live_nodes(3)
    live_nodes.peer_all()
    for x, y in ((a, b), (a, c), (b, c)):
        assert x.peer_row(y).status == APPROVED and y.peer_row(x).status == APPROVED
        assert x.peer_row(y).pinned_key_id == y.runtime.signing_key().key_id

    for i in range(3):
        a.publish(EVENT, f"event/{i}", event_content(a.url, f"Atelier {i}"))
    c.publish(EVENT, "event/c1", event_content(c.url))
    b_results = {r.peer: r for r in b.sync()}
    assert b_results[a.url].applied == 3 and b_results[c.url].applied == 1
    c_results = {r.peer: r for r in c.sync()}
    assert c_results[a.url].applied == 3 and c_results[b.url].applied == 0
    assert set(copies(b, a)) == {f"{a.url}/event/{i}" for i in range(3)}
    assert set(copies(c, a)) == set(copies(b, a))
    assert set(copies(a, c)) == set()  # a has not pulled yet
    a.sync()
    assert set(copies(a, c)) == {f"{c.url}/event/c1"}
    assert b.peer_row(a).last_applied_seq == 3 and b.peer_row(a).last_success_at is not None

    # Incremental catch-up: only the new items travel.
    a.publish(EVENT, "event/3", event_content(a.url))
    a.publish(EVENT, "event/0", event_content(a.url, "Atelier 0, nouvelle date"))
    before = len(calls)
    result = {r.peer: r for r in b.sync()}[a.url]
    assert (result.applied, result.pages, result.cursor) == (2, 1, 5)
    assert [call[1] for call in calls[before:] if call[0] == a.url] == [
        f"{a.url}/event/3", f"{a.url}/event/0"]
    assert {r.peer: r for r in b.sync()}[a.url].applied == 0  # nothing new, nothing re-applied


def test_tombstone_purges_copies_and_an_early_delete_is_not_resurrected(live_nodes, calls):
    a, b = live_nodes(2)
    live_nodes.peer(a, b)
    a.publish(EVENT, "event/1", event_content(a.url))
    b.sync()
    assert copies(b, a) == {f"{a.url}/event/1": False}

    a.publish(EVENT, "event/1", deleted=True)
    b.sync()
    assert copies(b, a) == {f"{a.url}/event/1": True}
    with b.session() as session:
        copy = session.scalar(select(FeedCopy))
        assert copy.item_json is None  # nothing of the object is kept
    assert calls[-1][3] is True

    # The create of event/2 is compacted away by its delete: b first sees the tombstone.
    create = a.publish(EVENT, "event/2", event_content(a.url))
    a.publish(EVENT, "event/2", deleted=True)
    with a.session() as session:
        assert session.scalar(select(func.count()).select_from(FeedEntry)) == 2
    b.sync()
    assert copies(b, a)[f"{a.url}/event/2"] is True
    # The older create arriving late (relayed, replayed) does not bring it back.
    with b.session() as session:
        peer = peers.get_peer(session, a.url)
        item = verify_feed_item(create, a.url, keyring.lookup_for_peer(session, b.runtime, peer))
        assert sync.apply_item(session, b.runtime.registry, peer, item) is False
        session.commit()
    assert copies(b, a)[f"{a.url}/event/2"] is True


class Killed(BaseException):
    """Stands for the process being killed in the middle of a page."""


def test_sync_killed_mid_page_resumes_without_loss_or_duplicate(live_nodes, monkeypatch):
    a, b = live_nodes(2, config={"FEDERATION_PAGE_LIMIT": 5})
    live_nodes.peer(a, b)
    for i in range(12):
        a.publish(EVENT, f"event/{i}", event_content(a.url, f"Atelier {i}"))
    calls: list = []
    record = recording_handler(calls)

    def dying(session, peer, item):
        if len(calls) == 7:
            raise Killed
        record(session, peer, item)

    replace_handler(monkeypatch, "feed", EVENT, dying, live_nodes.nodes)
    with pytest.raises(Killed):
        b.sync()
    # The first page (5 items) is committed with its cursor; the second is rolled back.
    assert b.peer_row(a).last_applied_seq == 5
    assert len(copies(b, a)) == 5

    replace_handler(monkeypatch, "feed", EVENT, record, live_nodes.nodes)
    result = b.sync()[0]
    assert result.error is None and result.cursor == 12
    assert len(copies(b, a)) == 12
    with b.session() as session:
        # One marker per applied item: none was applied twice (a second insert would fail).
        assert session.scalar(select(func.count()).select_from(FederationSetting)) == 12


def test_a_page_handler_gets_the_page_in_order_and_a_crash_in_it_loses_nothing(
    live_nodes, monkeypatch
):
    """An area's page handler gets each page's items in one call, in seq order; killed in its
    second page, the first page stays committed with its cursor and the rest is applied once
    on the next sync."""
    a, b = live_nodes(2, config={"FEDERATION_PAGE_LIMIT": 5})
    live_nodes.peer(a, b)
    for i in range(12):
        a.publish(EVENT, f"event/{i}", event_content(a.url, f"Atelier {i}"))
    calls: list = []
    pages: list[list[int]] = []
    record = recording_handler(calls)

    def page_handler(session, peer, items):
        pages.append([item["seq"] for item in items])
        if len(pages) == 2:
            raise Killed
        for item in items:
            record(session, peer, item)

    replace_handler(monkeypatch, "feed_page", EVENT, page_handler, live_nodes.nodes)
    with pytest.raises(Killed):
        b.sync()
    assert pages == [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10]]
    assert b.peer_row(a).last_applied_seq == 5 and len(copies(b, a)) == 5

    result = b.sync()[0]
    assert result.error is None and result.cursor == 12 and result.applied == 7
    assert pages[2:] == [[6, 7, 8, 9, 10], [11, 12]]
    assert len(copies(b, a)) == 12
    with b.session() as session:
        # One marker per applied item: none was applied twice (a second insert would fail).
        assert session.scalar(select(func.count()).select_from(FederationSetting)) == 12


def test_a_failing_handler_is_recorded_with_backoff_and_nothing_of_the_page_applied(
    live_nodes, monkeypatch
):
    a, b = live_nodes(2)
    live_nodes.peer(a, b)
    a.publish(EVENT, "event/1", event_content(a.url))

    def broken(session, peer, item):
        raise RuntimeError("bug in a feature area")

    replace_handler(monkeypatch, "feed", EVENT, broken, live_nodes.nodes)
    assert b.sync()[0].error == "internal_error"
    row = b.peer_row(a)
    assert row.last_applied_seq == 0 and row.backoff_failures == 1
    assert row.next_attempt_ms > now_ms() and "internal_error" in row.last_error
    assert copies(b, a) == {}


def test_node_down_then_up_backs_off_then_catches_up(live_nodes, calls):
    a, b = live_nodes(2)
    live_nodes.peer(a, b)
    a.publish(EVENT, "event/1", event_content(a.url))
    a.stop()
    result = b.sync()[0]
    assert result.error == "peer_unavailable"
    row = b.peer_row(a)
    assert row.backoff_failures == 1 and row.next_attempt_ms > now_ms()
    assert b.sync(force=False) == []  # not due yet: no attempt
    # While a is down, it keeps changing; b was offline for none of it.
    a.publish(EVENT, "event/2", event_content(a.url))
    a.start()
    result = b.sync()[0]
    assert result.error is None and result.applied == 2
    row = b.peer_row(a)
    assert row.backoff_failures == 0 and row.last_error is None

    # b offline during a change catches up from its cursor without new traffic.
    b.stop()
    a.publish(EVENT, "event/3", event_content(a.url))
    b.start()
    assert b.sync()[0].applied == 1
    assert set(copies(b, a)) == {f"{a.url}/event/{i}" for i in (1, 2, 3)}


def test_unknown_item_types_are_skipped_and_the_cursor_advances(live_nodes, calls):
    a, b = live_nodes(2)
    live_nodes.peer(a, b)
    a.publish(EVENT, "event/1", event_content(a.url))
    # A newer node may publish a type this version does not know.
    with a.session() as session:
        entry = session.get(FeedEntry, 1)
        entry.item_json = entry.item_json.replace('"type":"event.regional"', '"type":"poll.v2"')
        session.commit()
    a.publish(EVENT, "event/2", event_content(a.url))
    result = b.sync()[0]
    assert (result.error, result.applied, result.skipped, result.cursor) == (None, 1, 1, 2)
    assert set(copies(b, a)) == {f"{a.url}/event/2"}


def test_per_recipient_items_are_served_only_to_their_peer(live_nodes, calls):
    a, b, c = live_nodes(3)
    live_nodes.peer(a, b)
    live_nodes.peer(a, c)
    a.publish(EVENT, "event/for-b", event_content(a.url), recipient=b.url)
    a.publish(EVENT, "event/all", event_content(a.url))
    b.sync()
    c.sync()
    assert set(copies(b, a)) == {f"{a.url}/event/for-b", f"{a.url}/event/all"}
    assert set(copies(c, a)) == {f"{a.url}/event/all"}


def test_suspended_and_removed_peers_are_refused(live_nodes, calls):
    a, b = live_nodes(2)
    live_nodes.peer(a, b)
    a.publish(EVENT, "event/1", event_content(a.url))
    b.sync()
    with a.session() as session:
        peers.suspend(session, peers.find_peer(session, b.url))
        session.commit()
    assert b.sync()[0].error == "peer_error"
    assert b.peer_row(a).last_error.startswith("not_peer")
    with b.session() as session:
        peers.remove(session, peers.find_peer(session, a.url))
        session.commit()
    assert copies(b, a) == {}  # cached data purged
    assert b.sync() == []


def test_the_cycle_collector_is_paused_while_a_page_is_applied_and_restored_after(
    live_nodes, monkeypatch
):
    """Collection is off while a page is verified and applied, and back as it was afterwards:
    after a sync, after a crash in the middle of a page, and left off if it was off."""
    import gc

    a, b = live_nodes(2, config={"FEDERATION_PAGE_LIMIT": 2})
    live_nodes.peer(a, b)
    seen: list[bool] = []

    def handler(session, peer, item):
        seen.append(gc.isenabled())
        if item["content"]["title"] == "crash":
            raise Killed

    replace_handler(monkeypatch, "feed", EVENT, handler, live_nodes.nodes)
    for i in range(3):
        a.publish(EVENT, f"event/{i}", event_content(a.url, f"Atelier {i}"))
    assert gc.isenabled()
    assert b.sync()[0].applied == 3
    assert seen == [False] * 3 and gc.isenabled()

    a.publish(EVENT, "event/crash", event_content(a.url, "crash"))
    with pytest.raises(Killed):
        b.sync()
    assert gc.isenabled()

    a.publish(EVENT, "event/3", event_content(a.url, "Atelier 3"))
    replace_handler(monkeypatch, "feed", EVENT, lambda session, peer, item: None, live_nodes.nodes)
    gc.disable()
    try:
        assert b.sync()[0].error is None
        assert not gc.isenabled()
    finally:
        gc.enable()


WORKER_CONFIG = {"FEDERATION_PAGE_LIMIT": 4, "FEDERATION_VERIFY_WORKER": True,
                 "FEDERATION_VERIFY_WORKER_AFTER": 4}


def _long_feed(live_nodes, count=20, *, worker=True):
    a, b = live_nodes(2, config=dict(WORKER_CONFIG, FEDERATION_VERIFY_WORKER=worker))
    live_nodes.peer(a, b)
    for i in range(count):
        a.publish(EVENT, f"event/{i}", event_content(a.url, f"Atelier {i}"))
    return a, b


def test_a_long_sync_has_its_signatures_checked_by_a_worker_process(live_nodes, calls,
                                                                    monkeypatch, caplog):
    """Past its first page, a long pull hands each page to a worker process that checks its
    signatures while this process applies the page before: once the worker is up, this
    process verifies only the first page's items itself, and the result is the same as
    without the worker. (Pages that come while it starts are checked here: the other tests.)"""
    a, b = _long_feed(live_nodes)
    verified_here: list[bytes] = []
    verify = VerifyKey.verify

    def counting(self, signature, data):
        if data.startswith(b'{"deleted":'):  # an item's skeleton (not a request signature)
            verified_here.append(data)
        return verify(self, signature, data)

    monkeypatch.setattr(VerifyKey, "verify", counting)
    caplog.set_level(logging.INFO, logger="federation.verifier")
    workers: list[int] = []

    def progress(peer, items):
        workers.append(len(multiprocessing.active_children()))
        if len(workers) == 1:  # pages of 4 go fast: give the worker the time to start
            deadline = time.monotonic() + 60
            while "signature worker ready" not in caplog.text and time.monotonic() < deadline:
                time.sleep(0.05)

    (result,) = sync.sync_all(b.runtime, force=True, progress=progress)
    assert (result.error, result.applied, result.pages, result.cursor) == (None, 20, 5, 20)
    assert len(verified_here) == 4  # the first page; the worker checked the other four
    assert workers == [1] * 5  # one worker, started after the first page
    assert len(copies(b, a)) == 20 and len(calls) == 20
    assert multiprocessing.active_children() == []  # the worker ends with the sync


def test_a_forged_signature_in_a_page_the_worker_checked_stops_the_sync_there(live_nodes,
                                                                              calls):
    a, b = _long_feed(live_nodes)
    with a.session() as session:  # item 14 (the fourth page) gets a signature that fails
        entry = session.scalar(select(FeedEntry).where(FeedEntry.seq == 14))
        item = json.loads(entry.item_json)
        (key_id,) = item["signatures"][a.url]
        item["signatures"][a.url][key_id] = b64url_encode(bytes(64))
        entry.item_json = canonical_dumps(item).decode()
        session.commit()
    (result,) = b.sync()
    assert (result.error, result.applied, result.cursor) == ("bad_signature", 12, 0)
    assert b.peer_row(a).last_applied_seq == 12 and len(copies(b, a)) == 12
    assert b.peer_row(a).last_error == "bad_signature: signature does not verify"


def test_a_worker_that_dies_mid_sync_costs_speed_not_a_check(live_nodes, calls, caplog):
    a, b = _long_feed(live_nodes)
    killed: list[int] = []

    def kill_the_worker(peer, items):
        for child in multiprocessing.active_children():
            if not killed:
                os.kill(child.pid, signal.SIGKILL)
                killed.append(child.pid)

    (result,) = sync.sync_all(b.runtime, force=True, progress=kill_the_worker)
    assert killed
    assert (result.error, result.applied, result.cursor) == (None, 20, 20)
    assert len(copies(b, a)) == 20 and len(calls) == 20
    assert "pages are verified in process" in caplog.text


def test_a_worker_that_cannot_start_costs_speed_not_the_sync(live_nodes, calls, caplog,
                                                            monkeypatch):
    """No process or semaphore to be had (a locked-down service): the pull verifies every
    page itself."""
    a, b = _long_feed(live_nodes)

    def no_processes():
        raise PermissionError("no semaphores here")

    monkeypatch.setattr(pull, "SignatureWorker", no_processes)
    (result,) = b.sync()
    assert (result.error, result.applied, result.cursor) == (None, 20, 20)
    assert "no signature worker; pages are verified in process" in caplog.text


@pytest.mark.parametrize("worker", [True, False], ids=["worker", "no-worker"])
def test_a_resync_asked_in_the_middle_of_a_pull_starts_over_and_ends(live_nodes, calls, worker, clock):
    """A tombstone purged past the reader's cursor in the middle of a long pull: the peer asks
    for a full resync, the pages read ahead are dropped, and the pull starts over from 0 and
    goes to the end (its requests say it is a resync, so the pages below the retention floor
    are served), with exactly the live objects."""
    from datetime import timedelta

    from node.federation import feed

    a, b = _long_feed(live_nodes, count=40, worker=worker)
    a.publish(EVENT, "event/39", deleted=True)  # its create is compacted into the tombstone
    pages: list[int] = []

    def purge_after_the_second_page(peer, items):
        pages.append(items)
        if len(pages) > 30:  # sent back to 0 again and again: the loop this test guards against
            raise Killed
        if len(pages) == 2:
            with a.session() as session:
                assert feed.purge_tombstones(session, clock.now() + timedelta(days=31)) == 1
                session.commit()

    (result,) = sync.sync_all(b.runtime, force=True, progress=purge_after_the_second_page)
    assert result.error is None
    assert set(copies(b, a)) == {f"{a.url}/event/{i}" for i in range(39)}
    # Two pages, and those read ahead before the purge; then the snapshot answer (no progress
    # for it) and the pull from 0 again, to the end.
    before_the_snapshot = sum(pages) - 39
    assert 8 <= before_the_snapshot <= 20 and before_the_snapshot % 4 == 0, pages
    assert b.peer_row(a).resync_started_at is None
