"""Many concurrent deliveries (scenario g of issue 19): regional invitations racing the feed
item that carries the same event."""

from __future__ import annotations

from tests.fault import scenarios


def test_g_thirty_invitations_racing_the_feed_all_arrive_none_dead(live_nodes, clock):
    scenarios.invitations_race(live_nodes, clock.now(), events=30, timeout=30).check()
