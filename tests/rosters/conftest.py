"""Fixtures of the network roster tests: real nodes on loopback (``tests/livenodes.py``)."""

from __future__ import annotations

from tests.livenodes import live_nodes  # noqa: F401
