"""Network pass tests use real nodes on loopback."""

from tests.livenodes import live_nodes  # noqa: F401
