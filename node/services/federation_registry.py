"""The registries behind ``node.services.federation_hooks`` (import that module, not this one).

They live here so the transport modules (feed, inbox, sync) can read them without importing
the hooks module, which re-exports those transport services.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

FeedHandler = Callable[[Session, Any, dict], None]
#: ``fn(session, peer, items)``: a run of verified items of one type from one page, in order.
FeedPageHandler = Callable[[Session, Any, list[dict]], None]
InboxHandler = Callable[[Session, Any, dict], dict]
LeaseExpirer = Callable[[Session, datetime], int]
ResyncHandler = Callable[[Session, Any, datetime], int]
#: ``fn(session, outbox_row, answer)``: a queued message was delivered and the peer answered.
DeliveryHandler = Callable[[Session, Any, dict], None]

FEED_HANDLERS: dict[str, FeedHandler] = {}
FEED_PAGE_HANDLERS: dict[str, FeedPageHandler] = {}
INBOX_HANDLERS: dict[str, InboxHandler] = {}
LEASE_EXPIRERS: list[LeaseExpirer] = []
RESYNC_HANDLERS: list[ResyncHandler] = []
DELIVERY_HANDLERS: dict[str, DeliveryHandler] = {}
