"""Hostile feeds (PROTOCOL §7.2, paging termination): a peer whose feed never ends, stalls,
asks for resyncs again and again or answers slowly is cut off for the round and backed off
(the page bound alone only defers the rest); what was applied before stays, nothing else is
written, and the other peers are pulled in the same round. A hint never starts a pull in the
web request, and twenty hints make one pull."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from flask import current_app

from federation.canonical import canonical_dumps
from federation.feed import FeedPage
from federation.httpsig import sign_request
from federation.keys import now_ms
from federation.messages import FEED_HINT, build_feed_item, build_inbox_message
from node.api import federation as federation_api
from node.federation import feed as feed_service
from node.federation import scheduler

from .helpers import EVENT, copies, counts, event_content

Behaviour = Callable[[int, int], FeedPage]


class HostileFeeds:
    """Stands in for the feed service of the live nodes' views: a node listed in
    ``behaviours`` serves what its behaviour makes of ``(after, limit)``, every other node
    its real feed. Counts the pages each node served."""

    def __init__(self) -> None:
        self.behaviours: dict[object, Behaviour] = {}
        self.served: dict[object, int] = {}
        self._lock = threading.Lock()

    def __getattr__(self, name):
        return getattr(feed_service, name)

    def feed_page(self, session, reader, after, limit, **options):
        app = current_app._get_current_object()
        with self._lock:
            self.served[app] = self.served.get(app, 0) + 1
        behaviour = self.behaviours.get(app)
        if behaviour is None:
            return feed_service.feed_page(session, reader, after, limit, **options)
        return behaviour(after, limit)

    def pages_served(self, node) -> int:
        return self.served.get(node.app, 0)


@pytest.fixture
def hostile(monkeypatch) -> HostileFeeds:
    feeds = HostileFeeds()
    monkeypatch.setattr(federation_api, "feed", feeds)
    return feeds


def stalled(after: int, _limit: int) -> FeedPage:
    """"More to come", and nothing."""
    return FeedPage(items=(), next_after=after, has_more=True)


def stalled_ahead(after: int, _limit: int) -> FeedPage:
    """"More to come" with a cursor far ahead, and nothing."""
    return FeedPage(items=(), next_after=after + 1000, has_more=True)


def stalled_behind(after: int, _limit: int) -> FeedPage:
    """"More to come" with a cursor behind the one asked, and nothing."""
    return FeedPage(items=(), next_after=max(0, after - 1), has_more=True)


def resync_forever(_after: int, _limit: int) -> FeedPage:
    return FeedPage(items=(), next_after=0, has_more=True, snapshot_required=True)


def endless(node, per_page: int = 2, delay: float = 0.0) -> Behaviour:
    """Genuine signed items, fresh ones on every page, and always more to come."""
    key = node.runtime.signing_key()

    def behaviour(after: int, limit: int) -> FeedPage:
        if delay:
            time.sleep(delay)
        count = min(per_page, limit)
        items = tuple(build_feed_item(owner=node.url, seq=after + i, item_type=EVENT,
                                      object_id=f"{node.url}/event/endless-{after + i}",
                                      key=key, content=event_content(node.url))
                      for i in range(1, count + 1))
        return FeedPage(items=items, next_after=after + count, has_more=True)

    return behaviour


def result_for(results, node):
    return next(r for r in results if r.peer == node.url)


def backed_off(node, other) -> bool:
    row = node.peer_row(other)
    return row.backoff_failures > 0 and row.next_attempt_ms > now_ms()


LOOPS = {"more to come, no item": stalled, "more to come, cursor ahead, no item": stalled_ahead,
         "more to come, cursor behind, no item": stalled_behind}


@pytest.mark.parametrize("published", [0, 1, 3])
@pytest.mark.parametrize("loop", sorted(LOOPS))
def test_a_feed_that_says_more_but_serves_nothing_is_cut_off(live_nodes, hostile, loop,
                                                             published):
    a, b = live_nodes(2, names=["aix", "hostile"], config={"FEDERATION_PAGE_LIMIT": 1})
    live_nodes.peer(a, b)
    for i in range(published):
        b.publish(EVENT, f"event/{i}", event_content(b.url))
    real = feed_service.feed_page

    def behaviour(after: int, limit: int) -> FeedPage:
        if after < published:  # the genuine items first, one a page, then the loop
            with b.session() as session:
                page = real(session, a.url, after, limit)
            return FeedPage(items=page.items, next_after=page.next_after, has_more=True,
                            encoded_items=page.encoded_items)
        return LOOPS[loop](after, limit)

    hostile.behaviours[b.app] = behaviour
    (result,) = a.sync()
    assert result.error == "feed_stalled"
    assert result.applied == published and a.peer_row(b).last_applied_seq == published
    assert len(copies(a, b)) == published
    assert hostile.pages_served(b) == published + 1  # the stalled page is the last one asked
    assert backed_off(a, b)
    assert a.peer_row(b).last_error.startswith("feed_stalled")


@pytest.mark.parametrize("allowed", [0, 1, 2])
@pytest.mark.parametrize("cursor", [0, 2])
def test_a_feed_asking_for_resyncs_again_and_again_is_cut_off(live_nodes, hostile, cursor,
                                                              allowed):
    a, b = live_nodes(2, names=["aix", "hostile"],
                      config={"FEDERATION_PULL_MAX_RESYNCS": allowed})
    live_nodes.peer(a, b)
    for i in range(cursor):
        b.publish(EVENT, f"event/{i}", event_content(b.url))
    a.sync()
    held = copies(a, b)
    assert len(held) == cursor
    hostile.behaviours[b.app] = resync_forever
    hostile.served.clear()
    before = counts(a)
    (result,) = a.sync()
    assert result.error == "resync_loop"
    assert hostile.pages_served(b) == allowed + 1
    assert copies(a, b) == held  # no drop: the resync never reached the end
    assert counts(a)["feed_copies"] == before["feed_copies"]
    assert backed_off(a, b)


@pytest.mark.parametrize("per_page", [1, 2])
@pytest.mark.parametrize("max_pages", [1, 2, 3, 5])
def test_an_endless_feed_is_read_a_bounded_number_of_pages_per_round(live_nodes, hostile,
                                                                     max_pages, per_page):
    a, b = live_nodes(2, names=["aix", "endless"],
                      config={"FEDERATION_PULL_MAX_PAGES": max_pages})
    live_nodes.peer(a, b)
    hostile.behaviours[b.app] = endless(b, per_page=per_page)
    (result,) = a.sync()
    assert result.error is None and result.extra == {"cut": "pages"}
    assert result.pages == max_pages and result.applied == per_page * max_pages
    assert a.peer_row(b).last_applied_seq == per_page * max_pages
    assert len(copies(a, b)) == per_page * max_pages
    # Progress kept, and no penalty: the rest is pulled next round, from there.
    row = a.peer_row(b)
    assert row.backoff_failures == 0 and row.next_attempt_ms <= now_ms()
    (again,) = a.sync(force=False)
    assert again.pages == max_pages
    assert a.peer_row(b).last_applied_seq == 2 * per_page * max_pages


@pytest.mark.real_timers
@pytest.mark.parametrize("delay", [0.2, 0.35])
def test_a_slow_endless_feed_is_cut_at_its_time_budget(live_nodes, hostile, delay):
    a, b = live_nodes(2, names=["aix", "slow"], config={"FEDERATION_PULL_MAX_SECONDS": 1})
    live_nodes.peer(a, b)
    hostile.behaviours[b.app] = endless(b, delay=delay)
    started = time.monotonic()
    (result,) = a.sync()
    took = time.monotonic() - started
    assert result.error == "pull_budget"
    assert took < 1 + 2 * delay + 1.5, took  # the budget, plus at most the page under way
    cursor = a.peer_row(b).last_applied_seq
    assert cursor > 0 and cursor == 2 * result.pages  # what was applied stays
    assert len(copies(a, b)) == cursor
    assert backed_off(a, b)


@pytest.mark.real_timers
@pytest.mark.parametrize("delay", [1.5, 3.0])
def test_a_first_page_slower_than_the_budget_is_cut_at_the_budget(live_nodes, hostile, delay):
    a, b = live_nodes(2, names=["aix", "mute"], config={"FEDERATION_PULL_MAX_SECONDS": 1})
    live_nodes.peer(a, b)
    hostile.behaviours[b.app] = endless(b, delay=delay)
    before = counts(a)
    started = time.monotonic()
    (result,) = a.sync()
    took = time.monotonic() - started
    assert result.error == "pull_budget" and result.pages == 0
    assert took < 1 + 1.0, took  # the request's own deadline is the budget
    assert counts(a)["feed_copies"] == before["feed_copies"] and copies(a, b) == {}
    assert a.peer_row(b).last_applied_seq == 0 and backed_off(a, b)


# --- hints ----------------------------------------------------------------------------------

def post_hint(sender, receiver):
    message = build_inbox_message(message_type=FEED_HINT, origin=sender.url,
                                  destination=receiver.url, content={"latest_seq": 0},
                                  key=sender.runtime.signing_key())
    body = canonical_dumps(message)
    headers = sign_request("POST", receiver.url + "/federation/v1/inbox", body, sender.url,
                           sender.runtime.signing_key())
    headers["Content-Type"] = "application/json"
    return receiver.post_raw("/federation/v1/inbox", body, headers)


@pytest.mark.parametrize("hints", [1, 5, 20])
def test_hints_are_recorded_in_the_request_and_make_one_pull(live_nodes, hostile, hints):
    a, b = live_nodes(2, config={"FEDERATION_PULL_ON_HINT": True,
                                 "FEDERATION_HINTS_PER_MINUTE": 100})
    live_nodes.peer(a, b)
    b.publish(EVENT, "event/1", event_content(b.url))
    for _ in range(hints):
        assert post_hint(b, a).status_code == 202
    assert hostile.pages_served(b) == 0  # no pull ran inside a request
    assert a.peer_row(b).pull_requested_ms > 0 and copies(a, b) == {}
    results = scheduler.pull_hinted(a.runtime)
    assert [r.peer for r in results] == [b.url]
    assert hostile.pages_served(b) == 1 and len(copies(a, b)) == 1
    assert a.peer_row(b).pull_requested_ms == 0
    assert scheduler.pull_hinted(a.runtime) == []  # nothing hinted since
    assert hostile.pages_served(b) == 1


@pytest.mark.parametrize("cut", ["feed_stalled", "resync_loop", "pull_budget"])
def test_a_hint_does_not_lift_the_backoff_of_a_cut_off_peer(live_nodes, cut):
    a, b = live_nodes(2, config={"FEDERATION_PULL_ON_HINT": True})
    live_nodes.peer(a, b)
    later = now_ms() + 600_000
    with a.session() as session:
        row = a.peer_row(b)
        row = session.merge(row)
        row.backoff_failures, row.next_attempt_ms = 3, later
        row.last_error = f"{cut}: the peer misbehaved"
        session.commit()
    assert post_hint(b, a).status_code == 202
    assert a.peer_row(b).next_attempt_ms == later
    assert scheduler.pull_hinted(a.runtime) == []  # not due: no pull for the hint


def test_a_hint_brings_back_a_peer_that_was_only_unreachable(live_nodes):
    a, b = live_nodes(2, config={"FEDERATION_PULL_ON_HINT": True})
    live_nodes.peer(a, b)
    b.publish(EVENT, "event/1", event_content(b.url))
    with a.session() as session:
        row = session.merge(a.peer_row(b))
        row.backoff_failures, row.next_attempt_ms = 3, now_ms() + 600_000
        row.last_error = "peer_unavailable: connection refused"
        session.commit()
    assert post_hint(b, a).status_code == 202
    assert [r.peer for r in scheduler.pull_hinted(a.runtime)] == [b.url]
    assert len(copies(a, b)) == 1 and a.peer_row(b).backoff_failures == 0


# --- Done when: the round goes on, the portal answers -------------------------------------

def timed(fn) -> float:
    started = time.monotonic()
    fn()
    return time.monotonic() - started


@pytest.mark.real_timers
def test_a_looping_and_a_stalling_peer_delay_neither_the_others_nor_the_portal(live_nodes,
                                                                             hostile):
    a, good1, looping, stalling, good2 = live_nodes(
        5, names=["aix", "brest", "loop", "stall", "caen"],
        config={"FEDERATION_PULL_MAX_SECONDS": 1.5, "FEDERATION_PULL_MAX_PAGES": 10_000,
                "FEDERATION_PULL_ON_HINT": True, "FEDERATION_HINTS_PER_MINUTE": 100})
    for other in (good1, looping, stalling, good2):
        live_nodes.peer(a, other)
    for node in (good1, good2):
        node.publish(EVENT, "event/1", event_content(node.url))
        node.publish(EVENT, "event/2", event_content(node.url))
    hostile.behaviours[looping.app] = stalled         # "more to come", for ever
    hostile.behaviours[stalling.app] = endless(stalling, per_page=1, delay=0.4)  # slow, endless
    portal = a.client()
    baseline = max(timed(lambda: portal.get("/login")) for _ in range(5))
    hint_baseline = max(timed(lambda: post_hint(good1, a)) for _ in range(3))

    report = {}
    round_thread = threading.Thread(target=lambda: report.setdefault("round", a.round()))
    started = time.monotonic()
    round_thread.start()
    during, hints = [], []
    while round_thread.is_alive():
        during.append(timed(lambda: portal.get("/login")))
        hints.append(timed(lambda: post_hint(looping, a)))  # the looping peer's hints too
        time.sleep(0.05)
    round_thread.join()
    took = time.monotonic() - started

    results = {r.peer: r for r in report["round"].results}
    assert results[good1.url].error is None and results[good2.url].error is None
    assert copies(a, good1) == {f"{good1.url}/event/1": False, f"{good1.url}/event/2": False}
    assert copies(a, good2) == {f"{good2.url}/event/1": False, f"{good2.url}/event/2": False}
    assert results[looping.url].error == "feed_stalled"
    assert results[stalling.url].error == "pull_budget"
    assert backed_off(a, looping) and backed_off(a, stalling)
    # The round cost the stalling peer its budget, not more (plus the page under way).
    assert took < 1.5 + 0.4 + 3, took
    # The portal and the hints were answered in their usual time while the round ran.
    assert during and max(during) < 5 * baseline + 0.25, (during, baseline)
    assert max(hints) < 5 * hint_baseline + 0.25, (hints, hint_baseline)
    # The looping peer's hints started no pull and did not lift its backoff.
    assert scheduler.pull_hinted(a.runtime) == []
    assert backed_off(a, looping)
