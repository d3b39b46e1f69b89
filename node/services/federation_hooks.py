"""The seam between the federation transport and the feature areas that use it.

Feature areas (network directory, joint events, connector) register what to do with feed items
and inbox messages of their types; the transport (``node.services.feed``, ``inbox``, ``sync``)
verifies signatures, origin, peering and replay *before* calling a handler, and commits the
handler's work together with the sync cursor.

- A feed handler ``fn(session, peer, item)`` applies one verified feed item from ``peer``
  (``item`` is the verified dict: ``seq``, ``type``, ``id``, ``owner``, ``origin_ts``,
  ``content`` or ``deleted``). It must be idempotent: replays happen after a crash.
- A feed page handler ``fn(session, peer, items)`` (``on_feed_page(type)``), when a type has
  one, is called instead with each run of consecutive items of that type of a sync page, in
  seq order (the same object may appear twice: the later item stands). Same contract as a
  feed handler; it lets an area write a page with a few statements.
- An inbox handler ``fn(session, peer, message) -> dict`` handles one verified inbox message and
  returns the synchronous answer (``{"status": ...}``); the transport stores the answer under
  the message id so a retried message gets the same answer without running the handler twice.
- A lease expirer ``fn(session, now)`` drops copies whose lease ran out.
- A resync handler ``fn(session, peer, started_at) -> int`` runs when a peer's feed asked us to
  resynchronise from scratch (``snapshot_required``) and the resync reached the end: drop every
  copy from ``peer`` not applied since ``started_at`` (it was deleted while we were away).
  It is also called with a far-future ``started_at`` when our manager removes the peer, so
  every copy from it is purged.

Feed handlers get redacted items (content withdrawn by the owner) as ``content: None`` with
``redacted: True``; tombstones as ``deleted: True`` without content. The transport already
ignores an item older than the copy it holds (``feed_copies``), so a tombstone that arrived
first is never resurrected by an older create.

Publishing and sending (re-exported here for the feature areas):

- ``publish(session, *, item_type, local_id, content=None, deleted=False, recipient=None)``
  appends a signed feed item for our object ``local_id`` (``recipient`` None: every approved
  peer; a node id: only that peer, e.g. per-peer pseudonymous directory entries). It flushes;
  commit it in the same transaction as the change it describes. That commit also queues a
  ``feed.hint`` to the affected approved peers (one pending per peer), sent right after
  commit, so they pull without waiting for their polling interval.
- ``send_inbox_message(session, peer, message_type, content, message_id=None, *,
  deliver_now=False)`` queues an addressed message; it is signed and delivered with retries by
  the scheduler, or right after commit with ``deliver_now``.
- A delivery handler ``fn(session, outbox_row, answer)`` (``on_delivered(type)``) sees the
  synchronous answer of a delivered message of its type, in the delivery's transaction (e.g. a
  ``registration.request`` answered ``confirmed``). It runs outside any request.
"""

from __future__ import annotations

from collections.abc import Callable

from .federation_registry import (
    DELIVERY_HANDLERS,
    FEED_HANDLERS,
    FEED_PAGE_HANDLERS,
    INBOX_HANDLERS,
    LEASE_EXPIRERS,
    RESYNC_HANDLERS,
    DeliveryHandler,
    FeedHandler,
    FeedPageHandler,
    InboxHandler,
    LeaseExpirer,
    ResyncHandler,
)
from .feed import publish
from .inbox import send_inbox_message

__all__ = [
    "DELIVERY_HANDLERS",
    "DeliveryHandler",
    "FEED_HANDLERS",
    "FEED_PAGE_HANDLERS",
    "FeedPageHandler",
    "INBOX_HANDLERS",
    "LEASE_EXPIRERS",
    "RESYNC_HANDLERS",
    "FeedHandler",
    "InboxHandler",
    "LeaseExpirer",
    "ResyncHandler",
    "lease_expirer",
    "on_feed_item",
    "on_feed_page",
    "on_delivered",
    "on_inbox_message",
    "on_resync_complete",
    "publish",
    "send_inbox_message",
]


def on_feed_item(item_type: str) -> Callable[[FeedHandler], FeedHandler]:
    """Register the handler of verified feed items of ``item_type``."""

    def register(fn: FeedHandler) -> FeedHandler:
        FEED_HANDLERS[item_type] = fn
        return fn

    return register


def on_feed_page(item_type: str) -> Callable[[FeedPageHandler], FeedPageHandler]:
    """Register the handler of runs of verified feed items of ``item_type`` (a sync page's)."""

    def register(fn: FeedPageHandler) -> FeedPageHandler:
        FEED_PAGE_HANDLERS[item_type] = fn
        return fn

    return register


def on_inbox_message(message_type: str) -> Callable[[InboxHandler], InboxHandler]:
    """Register the handler of verified inbox messages of ``message_type``."""

    def register(fn: InboxHandler) -> InboxHandler:
        INBOX_HANDLERS[message_type] = fn
        return fn

    return register


def lease_expirer(fn: LeaseExpirer) -> LeaseExpirer:
    """Register a function that drops replicated copies whose lease expired."""
    LEASE_EXPIRERS.append(fn)
    return fn


def on_resync_complete(fn: ResyncHandler) -> ResyncHandler:
    """Register a function that drops a peer's copies not seen during a full resync."""
    RESYNC_HANDLERS.append(fn)
    return fn


def on_delivered(message_type: str) -> Callable[[DeliveryHandler], DeliveryHandler]:
    """Register what to do with the peer's answer to a delivered message of ``message_type``."""

    def register(fn: DeliveryHandler) -> DeliveryHandler:
        DELIVERY_HANDLERS[message_type] = fn
        return fn

    return register
