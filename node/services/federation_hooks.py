"""The seam between the federation transport and the feature areas that use it.

Feature areas (network directory, joint events, connector) register what to do with feed items
and inbox messages of their types; the transport (``node.services.feed``, ``inbox``, ``sync``)
verifies signatures, origin, peering and replay *before* calling a handler, and commits the
handler's work together with the sync cursor.

- A feed handler ``fn(session, peer, item)`` applies one verified feed item from ``peer``
  (``item`` is the verified dict: ``seq``, ``type``, ``id``, ``owner``, ``origin_ts``,
  ``content`` or ``deleted``). It must be idempotent: replays happen after a crash.
- An inbox handler ``fn(session, peer, message) -> dict`` handles one verified inbox message and
  returns the synchronous answer (``{"status": ...}``); the transport stores the answer under
  the message id so a retried message gets the same answer without running the handler twice.
- A lease expirer ``fn(session, now)`` drops copies whose lease ran out.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

FeedHandler = Callable[[Session, Any, dict], None]
InboxHandler = Callable[[Session, Any, dict], dict]
LeaseExpirer = Callable[[Session, datetime], int]

FEED_HANDLERS: dict[str, FeedHandler] = {}
INBOX_HANDLERS: dict[str, InboxHandler] = {}
LEASE_EXPIRERS: list[LeaseExpirer] = []


def on_feed_item(item_type: str) -> Callable[[FeedHandler], FeedHandler]:
    """Register the handler of verified feed items of ``item_type``."""

    def register(fn: FeedHandler) -> FeedHandler:
        FEED_HANDLERS[item_type] = fn
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
