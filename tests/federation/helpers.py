"""Small helpers shared by the federation tests: content, handlers, row counts."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from sqlalchemy import func, select

import node.app as node_app
from federation.messages import EVENT_REGIONAL
from node.models import (
    FederationSetting,
    FeedCopy,
    FeedEntry,
    InboxReceipt,
    OutboxMessage,
    Peer,
    SeenNonce,
)

EVENT = EVENT_REGIONAL
FEDERATION_TABLES = (Peer, FeedEntry, FeedCopy, SeenNonce, InboxReceipt, OutboxMessage,
                     FederationSetting)


def event_content(node_url: str, title: str = "Atelier compta") -> dict:
    return {"title": title, "description": "Bases de la tenue des comptes.", "kind": "workshop",
            "starts_at": "2026-05-01T09:00:00+02:00", "ends_at": "2026-05-01T12:00:00+02:00",
            "timezone": "Europe/Paris", "status": "scheduled", "organiser": node_url}


def applied_marker(item: dict) -> str:
    """A unique row name per applied (object, seq): applying an item twice would collide."""
    return "t:" + hashlib.sha256(f"{item['id']}#{item['seq']}".encode()).hexdigest()[:40]


def recording_handler(calls: list):
    """A feed handler that records calls and writes one row per application."""

    def handler(session, peer, item):
        calls.append((peer.node_id, item["id"], item["seq"], item["deleted"]))
        session.add(FederationSetting(name=applied_marker(item), value=item["seq"]))

    return handler


def replace_handler(monkeypatch: pytest.MonkeyPatch, kind: str, message_type: str,
                    handler: Callable[..., Any], nodes: Iterable[Any] = ()) -> None:
    """For this test, ``handler`` is the ``kind`` handler ("feed", "feed_page", "inbox",
    "delivery") of ``message_type`` in the registry of each of ``nodes`` (live nodes already
    running) and of every app built from now on (live nodes, the CLI's ``create_app``),
    in place of the feature's own."""
    table = f"{kind}_handlers"
    for node in nodes:
        monkeypatch.setitem(getattr(node.runtime.registry, table), message_type, handler)

    def override(registry) -> None:
        getattr(registry, table)[message_type] = handler  # over the feature's: a test's stand-in

    monkeypatch.setattr(node_app, "FEDERATION_HANDLERS", (*node_app.FEDERATION_HANDLERS, override))


def also_register(monkeypatch: pytest.MonkeyPatch, kind: str, fn: Callable[..., Any]) -> None:
    """For this test, every app built from now on also runs ``fn`` as a lease expirer
    (``kind`` "lease_expirer") or resync handler ("on_resync_complete")."""
    monkeypatch.setattr(node_app, "FEDERATION_HANDLERS", (
        *node_app.FEDERATION_HANDLERS, lambda registry: getattr(registry, kind)(fn)))


def counts(node) -> dict[str, int]:
    with node.session() as session:
        return {model.__tablename__: session.scalar(select(func.count()).select_from(model))
                for model in FEDERATION_TABLES}


def copies(node, peer) -> dict[str, bool]:
    """object id → is_deleted, for the copies ``node`` holds from ``peer``."""
    with node.session() as session:
        rows = session.scalars(select(FeedCopy).where(FeedCopy.peer_node_id == peer.url))
        return {row.object_id: row.is_deleted for row in rows}
