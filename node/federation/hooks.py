"""The seam between the federation transport and the feature areas that use it.

Feature areas (network directory, joint events, connector) register what to do with feed items
and inbox messages of their types: each such module has a ``register(registry)`` function that
calls the :class:`~node.federation.registry.HandlerRegistry` methods named below, and
``create_app`` (``node/app.py``) calls those functions from one explicit list. A type has
exactly one handler (a second registration raises) and every protocol type must have one, or
the node refuses to start. The transport (``node.federation.feed``, ``inbox``, ``sync``)
verifies signatures, origin, peering and replay *before* calling a handler, and commits the
handler's work together with the sync cursor.

- A feed handler ``fn(session, peer, item)`` (``registry.on_feed_item(type, fn)``) applies
  one verified feed item from ``peer`` (``item`` is the verified dict: ``seq``, ``type``,
  ``id``, ``owner``, ``origin_ts``, ``content`` or ``deleted``). It must be idempotent:
  replays happen after a crash.
- A feed page handler ``fn(session, peer, items)`` (``registry.on_feed_page(type, fn)``), when
  a type has one, is called instead with each run of consecutive items of that type of a sync
  page, in seq order (the same object may appear twice: the later item stands). Same contract
  as a feed handler; it lets an area write a page with a few statements.
- An inbox handler ``fn(session, peer, message) -> dict`` (``registry.on_inbox_message(type,
  fn)``) handles one verified inbox message and returns the synchronous answer
  (``{"status": ...}``); the transport stores the answer under the message id so a retried
  message gets the same answer without running the handler twice.
- A lease expirer ``fn(session, now)`` (``registry.lease_expirer(fn)``) drops copies whose
  lease ran out.
- A resync handler ``fn(session, peer, started_at) -> int`` (``registry.on_resync_complete(fn)``)
  runs when a peer's feed asked us to resynchronise from scratch (``snapshot_required``) and
  the resync reached the end: drop every copy from ``peer`` not applied since ``started_at``
  (it was deleted while we were away). It is also called with a far-future ``started_at``
  when our manager removes the peer, so every copy from it is purged.
- A delivery handler ``fn(session, outbox_row, answer)`` (``registry.on_delivered(type, fn)``)
  sees the synchronous answer of a delivered message of its type, in the delivery's
  transaction (e.g. a ``registration.request`` answered ``confirmed``). It runs outside any
  request.
- An undeliverable handler ``fn(session, outbox_row, reason)``
  (``registry.on_undeliverable(type, fn)``; every inbox type has one) runs in the transaction
  that dead-letters a queued message of its type: refused for good by the peer, or not
  delivered before its deadline (``send_inbox_message(..., deliver_until_ms=...)``;
  docs/PROTOCOL.md §7.5). It settles the feature's state and tells the person concerned
  (``tell_managers_undeliverable`` tells the managers, for the messages they answer for).

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
  deliver_now=False, deliver_until_ms=None)`` queues an addressed message; it is signed and
  delivered with retries by the scheduler, or right after commit with ``deliver_now``;
  transient failures are retried until ``deliver_until_ms`` (default: 7 days).
"""

from __future__ import annotations

from .feed import publish
from .inbox import send_inbox_message, tell_managers_undeliverable
from .registry import (
    DeliveryHandler,
    FeedHandler,
    FeedPageHandler,
    HandlerRegistry,
    InboxHandler,
    LeaseExpirer,
    ResyncHandler,
)

__all__ = [
    "DeliveryHandler",
    "FeedHandler",
    "FeedPageHandler",
    "HandlerRegistry",
    "InboxHandler",
    "LeaseExpirer",
    "ResyncHandler",
    "publish",
    "send_inbox_message",
    "tell_managers_undeliverable",
]
