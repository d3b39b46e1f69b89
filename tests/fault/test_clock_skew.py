"""One node's clock 120 s ahead, then fixed (scenario b of issue 19): the node runs in a
process of its own under libfaketime."""

from __future__ import annotations

import pytest

from tests.fault import scenarios


@pytest.mark.skipif(not scenarios.FAKETIME_LIB.exists(), reason="needs libfaketime (Debian's faketime)")
def test_b_clock_ahead_refused_then_fixed_is_delivered_not_dead(live_nodes, clock, tmp_path):
    scenarios.clock_skew(live_nodes, clock.now(), tmp_path, skew=120, skewed_seconds=3, timeout=20).check()
