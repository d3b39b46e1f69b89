"""Connector tests use real nodes on loopback for the network flows."""

from tests.livenodes import live_nodes  # noqa: F401
