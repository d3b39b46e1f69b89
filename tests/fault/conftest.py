"""The fault-injection suite of issue 19: real nodes (``tests/livenodes.py``, and the real
``coworknet sync`` and gunicorn processes for the ``kill -9`` scenarios), a lossy proxy,
clock skew, nodes stopped and started; every scenario ends by checking that both sides of
every cross-node object agree and that nothing was lost, duplicated or left dead.

Until the fixes of issue 19 are merged (branches ``delivery`` and ``push``), the scenarios that
still fail are expected to: their names are in :data:`EXPECTED_TO_FAIL`, the one place to
edit when a fix lands (a scenario that passes anyway is reported XPASS, not an error)."""

from __future__ import annotations

import pytest

from tests.livenodes import live_nodes  # noqa: F401

#: Scenario letters (the test names start ``test_<letter>_``) still failing on main. All pass
#: since branch ``faultfix`` (b: clock refusals retried within 10 s and the queue brought
#: forward by a pull; c: per-destination backoff, the queue brought forward when the host
#: answers; g: each outbox row claimed before it is sent).
EXPECTED_TO_FAIL: set[str] = set()
REASON = "issue 19: fixed on branch delivery/push"


@pytest.hookimpl(tryfirst=True)  # before the root conftest reads ``real_timers``
def pytest_collection_modifyitems(config, items):
    for item in items:
        if not item.nodeid.startswith("tests/fault/"):
            continue
        # Schedulers, proxies and polls wait with timeouts, which libfaketime never ends.
        item.add_marker(pytest.mark.real_timers)
        item.add_marker(pytest.mark.slow)
        letter = item.name.removeprefix("test_").split("_", 1)[0]
        if letter in EXPECTED_TO_FAIL:
            item.add_marker(pytest.mark.xfail(strict=False, reason=REASON))
