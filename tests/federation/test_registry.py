"""The handler registry: one per app, one handler per type, every protocol type handled."""

from __future__ import annotations

import pytest

import node.app as node_app
from node import create_app
from node.connector import network as connector_network
from node.db import db
from node.federation.keyring import RUNTIME_INFO_KEY
from node.federation.registry import HandlerRegistry, RegistryError
from node.regional import sync as regional_sync
from schemas.federation import (
    CONNECTOR_DEAL,
    CONNECTOR_REQUEST,
    CONNECTOR_RESPONSE,
    EVENT_REGIONAL,
    FEED_ITEM_TYPES,
    INBOX_MESSAGE_TYPES,
    PEER_STATS,
)
from tests.conftest import TEST_SETTINGS


def _settings(database_url, tmp_path) -> dict:
    return {**TEST_SETTINGS, "DATABASE_URL": database_url,
            "INSTANCE_PATH": str(tmp_path / "instance")}


def test_a_type_registered_twice_is_refused_naming_the_type_and_both_handlers():
    registry = HandlerRegistry()
    registry.on_feed_item(EVENT_REGIONAL, regional_sync.apply_regional)

    def another(session, peer, item):
        pass

    with pytest.raises(RegistryError) as refused:
        registry.on_feed_item(EVENT_REGIONAL, another)
    message = str(refused.value)
    assert "'event.regional'" in message
    assert "node.regional.sync.apply_regional" in message and "another" in message
    assert registry.feed_handlers == {EVENT_REGIONAL: regional_sync.apply_regional}

    registry.on_inbox_message(CONNECTOR_REQUEST, another)
    with pytest.raises(RegistryError, match="connector.request"):
        registry.on_inbox_message(CONNECTOR_REQUEST, another)
    registry.lease_expirer(another)
    with pytest.raises(RegistryError, match="registered twice"):
        registry.lease_expirer(another)


def test_a_type_the_protocol_does_not_have_is_refused():
    with pytest.raises(RegistryError, match="not a type of the protocol"):
        HandlerRegistry().on_inbox_message("event.regionl", lambda session, peer, m: {})


def test_registering_a_feature_twice_stops_the_node(monkeypatch, database_url, tmp_path):
    monkeypatch.setattr(node_app, "FEDERATION_HANDLERS",
                        (*node_app.FEDERATION_HANDLERS, connector_network.register))
    with pytest.raises(RegistryError, match="'connector.request' has two inbox message handlers"):
        create_app(_settings(database_url, tmp_path))


def test_a_node_missing_a_handler_for_a_protocol_type_refuses_to_start(
    monkeypatch, database_url, tmp_path
):
    without_connector = tuple(register for register in node_app.FEDERATION_HANDLERS
                              if register is not connector_network.register)
    monkeypatch.setattr(node_app, "FEDERATION_HANDLERS", without_connector)
    with pytest.raises(RegistryError) as refused:
        create_app(_settings(database_url, tmp_path))
    message = str(refused.value)
    assert message.startswith("this node cannot start: no handler for ")
    for missing in (PEER_STATS, CONNECTOR_REQUEST, CONNECTOR_RESPONSE, CONNECTOR_DEAL):
        assert missing in message
    assert EVENT_REGIONAL not in message


def test_the_registry_of_create_app_covers_every_protocol_type_exactly_once(app):
    registry = app.extensions[RUNTIME_INFO_KEY].registry
    assert registry.missing() == []
    # Every protocol type, and nothing else; one handler per table and type (a dict), and no
    # function registered for two types by mistake.
    assert set(registry.inbox_handlers) == set(INBOX_MESSAGE_TYPES)
    assert set(registry.feed_handlers) | set(registry.feed_page_handlers) == set(FEED_ITEM_TYPES)
    assert set(registry.delivery_handlers) <= set(INBOX_MESSAGE_TYPES)
    handlers = [*registry.inbox_handlers.values(), *registry.feed_handlers.values()]
    assert len(handlers) == len(set(handlers))

    # Counted registration by registration (a dict would hide a second one): each type once.
    seen: list[tuple[str, str]] = []

    class Counting(HandlerRegistry):
        def _add(self, kind, table, known, message_type, handler):  # type: ignore[override]
            seen.append((kind, message_type))
            super()._add(kind, table, known, message_type, handler)

    counting = Counting()
    for register in node_app.FEDERATION_HANDLERS:
        register(counting)
    inbox = [t for kind, t in seen if kind == "inbox message"]
    feed = [t for kind, t in seen if kind == "feed item"]
    assert sorted(inbox) == sorted(INBOX_MESSAGE_TYPES)
    assert sorted(feed) == sorted(FEED_ITEM_TYPES)


def test_each_app_has_its_own_registry(app, database_url, tmp_path):
    other = create_app(_settings(database_url, tmp_path / "other"))
    mine, theirs = (a.extensions[RUNTIME_INFO_KEY].registry for a in (app, other))
    assert mine is not theirs and mine.inbox_handlers == theirs.inbox_handlers
    del theirs.inbox_handlers[CONNECTOR_REQUEST]
    assert CONNECTOR_REQUEST in mine.inbox_handlers
    db.engine(other).dispose()
