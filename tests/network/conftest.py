"""Fixtures of the network search tests: real live nodes, and helpers to build members."""

from __future__ import annotations

import secrets

import pytest

from node.federation.models import APPROVED
from node.models import Peer
from node.network.settings import NetworkSettings
from tests.livenodes import live_nodes  # noqa: F401

SECRET = bytes.fromhex("11" * 32)


@pytest.fixture
def settings() -> NetworkSettings:
    return NetworkSettings(pseudonym_secret=SECRET)


@pytest.fixture
def approved_peers(session):
    """Factory: approved peer rows (no real node behind them) for export tests."""

    def factory(*node_ids: str, city: str = "", region: str = "") -> list[Peer]:
        rows = [Peer(node_id=node_id, name=node_id, status=APPROVED, city=city, region=region)
                for node_id in node_ids]
        session.add_all(rows)
        session.commit()
        return rows

    return factory


def node_secret() -> str:
    return secrets.token_hex(32)
