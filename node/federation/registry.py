"""The node's federation handler registry: which feature handles each protocol message type.

One :class:`HandlerRegistry` per application, built by ``create_app`` (``node/app.py``) from an
explicit list of the feature modules' ``register(registry)`` functions, then carried by the
federation runtime (``runtime.registry``); the transport (``feed``, ``inbox``, ``sync``,
``peers``) reads handlers from the registry it is given, never from module globals. A type is
handled by exactly one function: registering it twice is an error, and a node whose registry
leaves a protocol type unhandled refuses to start (:meth:`HandlerRegistry.check_complete`).
``node.federation.hooks`` describes the contract of each kind of handler.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from schemas.federation import FEED_ITEM_TYPES, INBOX_MESSAGE_TYPES

FeedHandler = Callable[[Session, Any, dict], None]
#: ``fn(session, peer, items)``: a run of verified items of one type from one page, in order.
FeedPageHandler = Callable[[Session, Any, list[dict]], None]
InboxHandler = Callable[[Session, Any, dict], dict]
LeaseExpirer = Callable[[Session, datetime], int]
ResyncHandler = Callable[[Session, Any, datetime], int]
#: ``fn(session, outbox_row, answer)``: a queued message was delivered and the peer answered.
DeliveryHandler = Callable[[Session, Any, dict], None]
#: ``fn(session, outbox_row, reason)``: a queued message will never be delivered (refused for
#: good, or past its deadline): the feature settles its state and tells the person concerned.
UndeliverableHandler = Callable[[Session, Any, str], None]
#: A per-peer quota of one inbox message type: (content, settings) → (key, count, window_ms,
#: what is counted) or None.
#: ``fn(session, peer, content)``: a verified ``peering.request`` was recorded (its content).
PeeringListener = Callable[[Session, Any, dict], None]
InboxQuota = Callable[[dict, Mapping[str, Any]], "tuple[str, int, int, str] | None"]


class RegistryError(RuntimeError):
    """A handler registered twice, for a type the protocol does not have, or missing."""


def _name(fn: Callable[..., Any]) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


class HandlerRegistry:
    """The handlers of one node, by kind and message type (see the module docstring).

    The tables are plain dicts and lists, read by the transport; features fill them through
    the ``on_*`` methods only, which refuse a second handler for a type.
    """

    def __init__(self) -> None:
        self.feed_handlers: dict[str, FeedHandler] = {}
        self.feed_page_handlers: dict[str, FeedPageHandler] = {}
        self.inbox_handlers: dict[str, InboxHandler] = {}
        self.delivery_handlers: dict[str, DeliveryHandler] = {}
        self.undeliverable_handlers: dict[str, UndeliverableHandler] = {}
        self.lease_expirers: list[LeaseExpirer] = []
        self.resync_handlers: list[ResyncHandler] = []
        self.inbox_quotas: dict[str, InboxQuota] = {}
        self.peering_listeners: list[PeeringListener] = []

    # --- registering --------------------------------------------------------------------

    def on_feed_item(self, item_type: str, handler: FeedHandler) -> None:
        """``handler(session, peer, item)`` applies one verified feed item of ``item_type``."""
        self._add("feed item", self.feed_handlers, FEED_ITEM_TYPES, item_type, handler)

    def on_feed_page(self, item_type: str, handler: FeedPageHandler) -> None:
        """``handler(session, peer, items)`` applies a run of a sync page's ``item_type`` items
        (instead of the one-item handler, which still serves single items)."""
        self._add("feed page", self.feed_page_handlers, FEED_ITEM_TYPES, item_type, handler)

    def on_inbox_message(self, message_type: str, handler: InboxHandler) -> None:
        """``handler(session, peer, message) -> answer`` handles one verified inbox message."""
        self._add("inbox message", self.inbox_handlers, INBOX_MESSAGE_TYPES, message_type,
                  handler)

    def inbox_quota(self, message_type: str, fn: InboxQuota) -> None:
        """``fn(content, config) -> (key, count, window_ms, what) | None``: a per-peer quota
        on ``message_type`` messages, checked before the message is handled (PROTOCOL §10);
        the transport prefixes the key with the peer."""
        self._add("inbox quota", self.inbox_quotas, INBOX_MESSAGE_TYPES, message_type, fn)

    def on_delivered(self, message_type: str, handler: DeliveryHandler) -> None:
        """``handler(session, outbox_row, answer)`` sees the peer's answer to a delivered
        message of ``message_type``."""
        self._add("delivery", self.delivery_handlers, INBOX_MESSAGE_TYPES, message_type, handler)

    def on_undeliverable(self, message_type: str, handler: UndeliverableHandler) -> None:
        """``handler(session, outbox_row, reason)`` runs, in the transaction that dead-letters
        it, when a queued message of ``message_type`` will never be delivered (a permanent
        refusal, or its deadline passed: docs/PROTOCOL.md §7.5). It settles the feature's
        state and tells the person concerned; every inbox type has one."""
        self._add("undeliverable", self.undeliverable_handlers, INBOX_MESSAGE_TYPES,
                  message_type, handler)

    def lease_expirer(self, fn: LeaseExpirer) -> None:
        """``fn(session, now)`` drops replicated copies whose lease ran out."""
        self._append("lease expirer", self.lease_expirers, fn)

    def on_resync_complete(self, fn: ResyncHandler) -> None:
        """``fn(session, peer, started_at)`` drops a peer's copies not seen since
        ``started_at`` (end of a full resync, or the peer removed)."""
        self._append("resync handler", self.resync_handlers, fn)

    def on_peering_request(self, fn: PeeringListener) -> None:
        """``fn(session, peer, content)`` sees each verified ``peering.request`` once it is
        recorded (a network join request rides on one: PROTOCOL §7.1)."""
        self._append("peering listener", self.peering_listeners, fn)

    @staticmethod
    def _add(kind: str, table: dict[str, Any], known: Iterable[str], message_type: str,
             handler: Callable[..., Any]) -> None:
        if message_type not in known:
            raise RegistryError(f"{_name(handler)} registered as the {kind} handler of "
                                f"{message_type!r}, which is not a type of the protocol")
        if message_type in table:
            raise RegistryError(f"{message_type!r} has two {kind} handlers: "
                                f"{_name(table[message_type])} and {_name(handler)}")
        table[message_type] = handler

    @staticmethod
    def _append(kind: str, functions: list[Any], fn: Callable[..., Any]) -> None:
        if fn in functions:
            raise RegistryError(f"{_name(fn)} is registered twice as a {kind}")
        functions.append(fn)

    # --- start-up check -----------------------------------------------------------------

    def missing(self, feed_types: Iterable[str] = FEED_ITEM_TYPES,
                inbox_types: Iterable[str] = INBOX_MESSAGE_TYPES) -> list[str]:
        """The protocol types nothing handles: feed items with neither a one-item nor a page
        handler, inbox messages without a handler or without an undeliverable handler."""
        inbox_types = list(inbox_types)
        handled_feed = self.feed_handlers.keys() | self.feed_page_handlers.keys()
        return ([f"feed item {t}" for t in feed_types if t not in handled_feed]
                + [f"inbox message {t}" for t in inbox_types if t not in self.inbox_handlers]
                + [f"undeliverable inbox message {t}" for t in inbox_types
                   if t not in self.undeliverable_handlers])

    def check_complete(self) -> None:
        """Raise :class:`RegistryError` naming every protocol type left without a handler."""
        missing = self.missing()
        if missing:
            raise RegistryError("this node cannot start: no handler for "
                                + ", ".join(missing)
                                + " (register one in its feature module's register())")
