"""Reading a peer's feed as verified pages (PROTOCOL §7.2): :class:`PageReader`.

A reader asks for the page after its cursor, checks it (strict canonical JSON, the page's
schema and sequence rules), verifies every item it knows the type of (shape, origin binding,
date, key record and validity, signature, content hash, content schema: in that order, the
first failing item raising its own error, :func:`federation.messages.verify_feed_page`) and
hands the page over; the node applies it and commits its cursor, then the reader goes on from
that cursor. Nothing of a page is handed over before all of it verified.

What makes a long pull fast lives here, behind that one interface:

* **read-ahead**: the next page is asked for as soon as the current one is verified, by a
  second thread, so that the peer's answer time is spent on the node's writes
  (:class:`_Bodies`);
* **the signature worker**: a long pull has the signatures of the pages read ahead checked by
  a process of its own (:mod:`federation.verifier`) while the node applies the current page;
  that only spares the verify call for signatures that verified, every other check is made
  here as without it (:class:`_SignatureChecks`);
* **fast decoding**: a canonical body is parsed once and each item's canonical bytes kept, so
  nothing is encoded twice (:meth:`FederationClient.read_feed_page`);
* **the cycle collector paused** while a page is checked, verified and applied
  (:class:`CollectorPause`).
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable, Collection, Generator, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from federation.client import FederationClient, canonical_items
from federation.envelope import KeyLookup
from federation.errors import FederationError, FeedStalled, PullBudgetSpent, ResyncLoop
from federation.feed import peek_next_after
from federation.keys import KeyRecord, now_ms
from federation.messages import FeedItem, verify_feed_page
from federation.verifier import SignatureWorker, VerifiedSignatures
from schemas.federation import FEED_ITEM_TYPES

logger = logging.getLogger(__name__)

#: How many pages the reading may run ahead of the pages applied, with a signature worker.
READ_AHEAD = 2
#: How long a page's signatures may take in the worker before the reader checks them.
WORKER_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class Page:
    """One verified page of a peer's feed.

    ``items``: the verified items of the types this reader knows, in seq order (each with its
    canonical bytes, ``raw_json``); ``served``: how many items the peer served (unknown types
    included: they are skipped, the cursor still moves past them); ``cursor``: where the next
    page starts (the last served item's seq); ``has_more``: the feed goes on;
    ``snapshot_required``: the peer asks for a full resync from 0 (no items then)."""

    items: list[FeedItem]
    served: int
    cursor: int
    has_more: bool
    snapshot_required: bool = False


class CollectorPause:
    """Pauses Python's cycle collector while pages are checked, verified and applied. A page's
    tens of thousands of containers (parsed items, verified copies, rows) would otherwise be
    traversed again and again by collections with nothing to free (a tenth of a sync's time,
    measured); they go by reference counting once the page is done, and collection resumes.
    The collector is the process's: nested and concurrent pauses (several syncs in one
    process) resume it once, after the last one, and only if it was on before the first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pausers = 0
        self._resume = False

    @contextmanager
    def paused(self) -> Iterator[None]:
        with self._lock:
            if self._pausers == 0:
                self._resume = gc.isenabled()
                gc.disable()
            self._pausers += 1
        try:
            yield
        finally:
            with self._lock:
                self._pausers -= 1
                if self._pausers == 0 and self._resume:
                    gc.enable()


#: The pause shared by every reader of this process (there is one cycle collector).
COLLECTOR = CollectorPause()


class PageReader:
    """Reads the feed of ``peer_node_id`` through ``client`` (which it closes when done) in
    pages of ``limit`` items; use it as a context manager, and iterate :meth:`pages`.

    ``worker``: a pull that has seen ``worker_after`` items with more to come has its
    signatures checked by a worker process, with the keys ``worker_keys()`` gives then (the
    peer's key records; a malformed one is left out, its items are checked and refused
    here). A worker that cannot start, dies or stalls costs speed, never a check."""

    def __init__(self, client: FederationClient, peer_node_id: str, *, limit: int,
                 worker: bool = False, worker_after: int = 1000,
                 worker_keys: Callable[[], Mapping[str, KeyRecord]] = dict,
                 known_types: Collection[str] = FEED_ITEM_TYPES,
                 collector: CollectorPause = COLLECTOR) -> None:
        self._client, self._peer, self._limit = client, peer_node_id, limit
        self._known_types = known_types
        self._collector = collector
        self._bodies = _Bodies(client, peer_node_id, limit)
        self._signatures = _SignatureChecks(peer_node_id, self._bodies, worker, worker_after,
                                            worker_keys)
        self._seen = 0  # items read so far: a long pull gets the worker
        self._reading: Generator[Page, None, None] | None = None

    def __enter__(self) -> PageReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def pages(self, after: int, lookup: Callable[[], KeyLookup], *, resync: bool = False,
              max_pages: int | None = None, max_resyncs: int | None = None,
              deadline: float | None = None) -> Generator[Page, None, None]:
        """The verified pages after cursor ``after``, each read once the one before it was
        handed back (the caller applies and commits a page inside its loop's body): after a
        page, the next starts at its ``cursor``; after a ``snapshot_required`` answer, at 0
        with ``resync`` set (PROTOCOL §7.2); the last is the one without ``has_more`` (or the
        ``max_pages``-th). ``lookup()`` gives each page its key lookup. The cycle collector is
        paused from a page's parsing until the caller asks for the next page.

        Paging always ends (PROTOCOL §7.2, paging termination): a page that says "more to
        come" without an item raises :class:`FeedStalled`; a ``snapshot_required`` answer
        beyond ``max_resyncs`` (counted from this call) raises :class:`ResyncLoop`; asking
        for a page once the ``deadline`` (``time.monotonic()``) passed raises
        :class:`PullBudgetSpent`. The pages handed back before stay the caller's."""
        self._reading = reading = self._pages(after, lookup, resync, max_pages, max_resyncs,
                                              deadline)
        return reading

    def _pages(self, after: int, lookup: Callable[[], KeyLookup], resync: bool,
               max_pages: int | None, max_resyncs: int | None,
               deadline: float | None) -> Generator[Page, None, None]:
        taken = restarts = 0
        while max_pages is None or taken < max_pages:
            if taken and deadline is not None and time.monotonic() >= deadline:
                raise PullBudgetSpent(f"this peer's pull took its whole time budget "
                                      f"({taken} pages read this round)")
            taken += 1
            last = max_pages is not None and taken >= max_pages  # nothing to read ahead for
            self._bodies.resync = resync
            body, checking = self._bodies.take(after)
            with self._collector.paused():  # from here on, this page is CPU work only
                page = self._verified(body, checking, after, lookup, last)
                if page.snapshot_required:
                    restarts += 1
                    if max_resyncs is not None and restarts > max_resyncs:
                        raise ResyncLoop(f"the peer asked for a full resync {restarts} times "
                                         f"in one round")
                yield page
            if page.snapshot_required:
                after, resync = 0, True
            elif page.has_more:
                after = page.cursor
            else:
                return

    def _verified(self, body: bytes, checking: Future[Any] | None, after: int,
                  lookup: Callable[[], KeyLookup], last: bool) -> Page:
        page = self._client.read_feed_page(body, after, self._limit)
        if page["snapshot_required"]:
            return Page([], 0, after, has_more=True, snapshot_required=True)
        served = page["items"]
        if page["has_more"] and not served:
            raise FeedStalled(f"the peer says more items follow seq {after} but served none")
        checks = self._signatures.result(checking)
        self._seen += len(served)
        self._signatures.consider(page, self._seen)
        if self._signatures.active and not last:
            self._bodies.ask_after(page)  # the worker checks the next page while this one is applied
        lookup_key = lookup()
        # A newer type is skipped (the cursor still advances past it). The client parsed the
        # page strictly: the items are not walked again.
        wanted = [i for i, raw in enumerate(served) if raw.get("type") in self._known_types]
        encoded = canonical_items(page)
        verified = verify_feed_page(
            [served[i] for i in wanted], self._peer, lookup_key, now_ms=now_ms(), checked=True,
            encoded=None if encoded is None else [encoded[i] for i in wanted], checks=checks)
        if not last:
            self._bodies.ask_after(page)
        return Page([item for item in verified if item.seq > after], len(served),
                    served[-1]["seq"] if served else after, has_more=page["has_more"])

    def close(self) -> None:
        """End the pages' iteration (the collector resumes), the reading ahead, the worker and
        the client."""
        try:
            if self._reading is not None:
                self._reading.close()
        finally:
            try:
                self._bodies.close()
                self._signatures.close()
            finally:
                self._client.close()


class _Bodies:
    """Feed page bodies, the next one asked for as soon as the current page is verified: while
    the reader's thread applies that page (database work, which leaves the interpreter lock
    free most of the time), another one sends the request and reads the answer, and the
    peer's answer time is spent on our work instead of added to it. One request at a time
    (the client is not shared between threads); a body asked for another cursor is dropped
    with its error.

    With a signature worker (:meth:`check_with`), each body goes to the worker as soon as it
    arrives, and the reading runs further ahead: the next page is asked for at once (its
    cursor read off the body, :func:`~federation.feed.peek_next_after`), up to
    ``READ_AHEAD`` pages ahead of the reader, so that the worker always has a page to check.
    """

    def __init__(self, client: FederationClient, peer_node_id: str, limit: int) -> None:
        self._client, self._peer, self._limit = client, peer_node_id, limit
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._ahead: dict[int, Future[tuple[bytes, Future[Any] | None]]] = {}
        self._frontier: int | None = None  # the next cursor, when read-ahead waits for room
        self._checker: Callable[[bytes], Future[Any]] | None = None
        self._generation = 0  # moves on when the reading ahead is dropped: its chain stops
        self._closed = False
        #: The reader is resynchronising: the pages asked from now on say so (PROTOCOL §7.2).
        self.resync = False

    @property
    def checking(self) -> bool:
        """Whether the bodies asked from now on go to a signature worker."""
        return self._checker is not None

    def check_with(self, checker: Callable[[bytes], Future[Any]] | None) -> None:
        """Hand the bodies asked from now on to ``checker`` (None: no longer)."""
        with self._lock:
            self._checker = checker
            self._frontier = None

    def ask_after(self, page: dict[str, Any]) -> None:
        """Ask now for the body of the page after ``page``, when there is one."""
        if not page["has_more"] or not page["items"]:
            return
        after = page["items"][-1]["seq"]
        with self._lock:
            if after not in self._ahead:
                self._ask(after)

    def _ask(self, after: int) -> None:  # with the lock held
        if self._closed:
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="feed-fetch")
        self._ahead[after] = self._pool.submit(self._fetch, after, self._checker,
                                               self._generation, self.resync)

    def _fetch(self, after: int, checker: Callable[[bytes], Future[Any]] | None,
               generation: int, resync: bool) -> tuple[bytes, Future[Any] | None]:
        body = self._client.fetch_feed_body(self._peer, after, self._limit, resync=resync)
        if checker is None:
            return body, None
        checking = checker(body)  # a worker gone fails this future: the reader checks the page
        following = peek_next_after(body)
        with self._lock:
            if (following is not None and generation == self._generation
                    and following not in self._ahead):
                if len(self._ahead) < READ_AHEAD:
                    self._ask(following)
                else:
                    self._frontier = following
        return body, checking

    def take(self, after: int) -> tuple[bytes, Future[Any] | None]:
        """The body of the page after ``after`` (the one asked ahead, or asked now), with the
        future of its signatures checked by the worker, if it went to one."""
        with self._lock:
            asked = self._ahead.pop(after, None)
            dropped = [] if asked is not None else list(self._ahead.values())
            if asked is None:  # another cursor (a page not committed): nothing ahead is ours
                self._ahead.clear()
                self._frontier = None
                self._generation += 1
            elif self._frontier is not None and len(self._ahead) < READ_AHEAD:
                following, self._frontier = self._frontier, None
                if following not in self._ahead:
                    self._ask(following)
        if asked is not None:
            return asked.result()
        for future in dropped:
            future.cancel()
        wait(dropped)
        return self._client.fetch_feed_body(self._peer, after, self._limit,
                                            resync=self.resync), None

    def close(self) -> None:
        with self._lock:
            self._closed = True
        if self._pool is not None:
            # A request still out ends within its timeouts; the ones not sent are dropped.
            self._pool.shutdown(wait=True, cancel_futures=True)


class _SignatureChecks:
    """A long pull's signature worker (:mod:`federation.verifier`): started once the pull has
    read ``after`` items with more to come, it checks each page asked ahead while the reader's
    thread applies the current one. Its answer only spares the verify call for the very
    signatures that verified; should it fail or stall, the page is verified in the reader and
    the worker is no longer used."""

    def __init__(self, signer: str, bodies: _Bodies, enabled: bool, after: int,
                 keys: Callable[[], Mapping[str, KeyRecord]]) -> None:
        self._signer, self._bodies = signer, bodies
        self._enabled, self._after, self._keys = enabled, after, keys
        self._worker: SignatureWorker | None = None
        self._broken = False

    @property
    def active(self) -> bool:
        return self._bodies.checking  # until the worker failed

    def consider(self, page: dict[str, Any], seen: int) -> None:
        """Start the worker when this pull is a long one: ``seen`` items and more to come."""
        if (self._worker is not None or self._broken or not self._enabled
                or not page["has_more"] or seen < self._after):
            return
        keys: dict[str, bytes] = {}
        for key_id, record in self._keys().items():
            try:
                keys[key_id] = record.verify_key().public_bytes
            except FederationError:
                continue  # a malformed record: its items are checked (and refused) here
        try:
            self._worker = worker = SignatureWorker()
        except Exception:  # no process or semaphore to be had here: the pages are checked here
            logger.warning("no signature worker; pages are verified in process", exc_info=True)
            self._broken = True
            return
        signer = self._signer
        self._bodies.check_with(lambda body: worker.submit(body, signer, keys))

    def result(self, checking: Future[Any] | None) -> VerifiedSignatures | None:
        """The signatures the worker verified in a page, or None (checked here). While the
        worker starts (a new interpreter takes about a second), a page it has not checked
        yet is checked here rather than waited for."""
        if checking is None or self._broken or self._worker is None:
            return None
        if not self._worker.ready and not checking.done():
            return None
        try:
            return VerifiedSignatures(checking.result(timeout=WORKER_TIMEOUT_SECONDS))
        except Exception:  # a worker that died or stalls: every page is checked here
            logger.warning("signature worker failed; pages are verified in process",
                           exc_info=True)
            self._broken = True
            self._bodies.check_with(None)
            return None

    def close(self) -> None:
        if self._worker is not None:
            self._worker.close()
