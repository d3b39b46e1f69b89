"""Cross-node registrations under faults (scenarios a, c, d, h of issue 19), short versions;
``python -m bench faults`` plays them long."""

from __future__ import annotations

from tests.fault import scenarios


def test_a_register_cancel_toggled_by_twenty_members_ends_cancelled_on_both_sides(live_nodes, clock):
    scenarios.toggled_registrations(live_nodes, clock.now(), members=20, timeout=30).check()


def test_c_host_down_while_members_of_two_nodes_register_and_cancel_converges_quickly(live_nodes, clock):
    # Within a few scheduler rounds (1 s here) once the host is back.
    scenarios.host_down(live_nodes, clock.now(), down_seconds=3, members=4, timeout=30).check()


def test_d_lossy_link_with_registrations_cancellations_and_directory_changes_converges(live_nodes, clock):
    scenarios.lossy_link(live_nodes, clock.now(), lossy_seconds=6, members=5, timeout=40).check()


def test_h_waitlist_positions_told_are_the_positions_held(live_nodes, clock):
    scenarios.waitlist_positions(live_nodes, clock.now(), members=5, capacity=2, timeout=20).check()
