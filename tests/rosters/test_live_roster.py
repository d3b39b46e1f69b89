"""Networks as signed rosters, with real nodes over HTTP: joining through a roster peers every
pair without a manager's approval, a member taken off the roster is unpeered everywhere (its
copies dropped) unless also peered by hand, and the members keep syncing while the
coordinator is down."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from node.errors import Conflict
from node.federation import peers
from node.federation.models import APPROVED, REMOVED, FeedCopy, Peer
from node.rosters import rosters
from node.rosters.models import MANUAL, JoinRequest

STATS = {"members_active": 3, "directory_entries": 2, "events_upcoming": 1,
         "period_start": date(2026, 1, 1).isoformat(), "period_end": date(2026, 1, 31).isoformat()}


def _status(node, other) -> str | None:
    row = node.peer_row(other)
    return row.status if row is not None else None


def _rounds_until(nodes, done, limit: int = 6) -> int:
    """Run a federation round on each running node until ``done()`` (at most ``limit``)."""
    for count in range(1, limit + 1):
        for node in nodes:
            node.round()
        if done():
            return count
    raise AssertionError(f"not reached after {limit} rounds")


def _has_copy(node, origin, local_id: str) -> bool:
    with node.session() as session:
        return session.scalar(select(FeedCopy.seq).where(
            FeedCopy.peer_node_id == origin.url,
            FeedCopy.object_id == f"{origin.url}/{local_id}")) is not None


def _join(coordinator, node, network_id: str) -> None:
    with node.session() as session:
        application = rosters.ask_to_join(session, node.runtime, network_id)
        session.commit()
        assert rosters.send_application(session, node.runtime, application)
        session.commit()
    with coordinator.session() as session:
        request = session.scalar(select(JoinRequest).where(JoinRequest.node_id == node.url))
        assert request is not None and request.status == "pending"
        peer = rosters.accept(session, coordinator.runtime, request)
        session.commit()
        peers.send_confirmation(session, coordinator.runtime, peer)
        session.commit()


def test_a_roster_peers_every_pair_unpeers_a_removed_member_and_outlives_its_coordinator(
        live_nodes):
    coord, a, b, c, d = live_nodes(5, names=["coord", "aix", "bandol", "cassis", "digne"])
    live_nodes.peer(b, d)  # bandol and digne peered by hand before the network
    with coord.session() as session:
        network = rosters.create_network(session, coord.runtime, slug="sud",
                                         name="Coworking Sud", charter="Entraide")
        session.commit()
        network_id = network.network_id
    members = [a, b, c, d]
    for node in members:
        _join(coord, node, network_id)
    everyone = [coord, *members]

    def all_peered() -> bool:
        return all(_status(x, y) == APPROVED for x in everyone for y in everyone if x is not y)

    _rounds_until(everyone, all_peered)
    with a.session() as session:
        held = rosters.find_network(session, network_id)
        assert held.version == 5 and rosters.member_ids(held) == {n.url for n in everyone}
        assert rosters.sources_of(session)[c.url] == [network_id]
    with b.session() as session:
        assert rosters.sources_of(session)[d.url] == [MANUAL, network_id]

    # Syncing between members who never approved each other: d's item reaches everyone.
    d.publish("peer.stats", "stats/d", STATS)
    _rounds_until(everyone, lambda: all(_has_copy(n, d, "stats/d") for n in everyone if n is not d))

    # d taken off the roster: unpeered by everyone at their next round, its copies dropped,
    # except at bandol, which had peered with it by hand.
    with coord.session() as session:
        rosters.remove_member(session, coord.runtime, rosters.find_network(session, network_id),
                              d.url)
        session.commit()
    _rounds_until(everyone, lambda: all(_status(n, d) == REMOVED for n in (coord, a, c)))
    for node in (coord, a, c):
        assert not _has_copy(node, d, "stats/d")
    assert _status(b, d) == APPROVED and _has_copy(b, d, "stats/d")

    # The coordinator down: the cached roster keeps the members peered and syncing.
    coord.stop()
    a.publish("peer.stats", "stats/a", STATS)
    _rounds_until([a, b, c], lambda: _has_copy(b, a, "stats/a") and _has_copy(c, a, "stats/a"))
    with c.session() as session:
        assert session.scalar(select(Peer.status).where(Peer.node_id == b.url)) == APPROVED


def test_a_co_coordinator_signs_the_next_version_while_the_founder_is_down(live_nodes):
    coord, a, b, c = live_nodes(4, names=["coord", "aix", "bandol", "cassis"])
    with coord.session() as session:
        network_id = rosters.create_network(session, coord.runtime, slug="sud",
                                            name="Coworking Sud").network_id
        session.commit()
    for node in (a, b):
        _join(coord, node, network_id)
    with coord.session() as session:
        network = rosters.find_network(session, network_id)
        rosters.set_coordinators(session, coord.runtime, network, [a.url])
        session.commit()
    _rounds_until([coord, a, b], lambda: all(
        _status(x, y) == APPROVED for x in (coord, a, b) for y in (coord, a, b) if x is not y)
        and _roster_version(b, network_id) == 4)

    # A roster signed by a member that is no coordinator is ignored, whatever its version.
    with a.session() as session:
        forged = {"network": network_id, "name": "Pirate", "description": "", "charter": "",
                  "version": 99, "coordinators": [b.url], "members": []}
        rosters.apply_roster(session, a.peer_row(b), {"deleted": False, "content": forged})
        session.commit()
    assert _roster_version(a, network_id) == 4

    coord.stop()
    with c.session() as session:
        application = rosters.ask_to_join(session, c.runtime, network_id, a.url)
        session.commit()
        assert rosters.send_application(session, c.runtime, application)
        session.commit()
    _join_decided_by(a, c)
    _rounds_until([a, b, c], lambda: _status(b, c) == APPROVED and _status(c, b) == APPROVED
                  and _status(c, a) == APPROVED)
    assert _roster_version(b, network_id) == 5
    with b.session() as session:
        assert rosters.find_network(session, network_id).publisher == a.url


def _roster_version(node, network_id: str) -> int:
    with node.session() as session:
        try:
            return rosters.find_network(session, network_id).version
        except Exception:
            return 0


def _join_decided_by(coordinator, node) -> None:
    with coordinator.session() as session:
        request = session.scalar(select(JoinRequest).where(JoinRequest.node_id == node.url))
        assert request is not None
        peer = rosters.accept(session, coordinator.runtime, request)
        session.commit()
        peers.send_confirmation(session, coordinator.runtime, peer)
        session.commit()


def test_join_requests_accepted_in_one_decision_make_one_roster_version(live_nodes):
    coord, a, b, c = live_nodes(4, names=["coord", "aix", "bandol", "cassis"])
    with coord.session() as session:
        network = rosters.create_network(session, coord.runtime, slug="sud", name="Coworking Sud")
        session.commit()
        network_id, founded = network.network_id, network.version
    for node in (a, b, c):
        with node.session() as session:
            application = rosters.ask_to_join(session, node.runtime, network_id)
            session.commit()
            assert rosters.send_application(session, node.runtime, application)
            session.commit()
    with coord.session() as session:
        pending = session.scalars(select(JoinRequest).where(JoinRequest.status == "pending")
                                  .order_by(JoinRequest.id)).all()
        assert len(pending) == 3
        accepted = rosters.accept_many(session, coord.runtime, list(pending))
        session.commit()
        assert peers.send_confirmations(coord.runtime, [p.id for p in accepted]) == 3
        held = rosters.find_network(session, network_id)
        assert held.version == founded + 1  # one version for the three newcomers
        assert rosters.member_ids(held) == {n.url for n in (coord, a, b, c)}
        assert {r.status for r in session.scalars(select(JoinRequest))} == {"accepted"}
    everyone = [coord, a, b, c]
    _rounds_until(everyone, lambda: all(_status(x, y) == APPROVED
                                        for x in everyone for y in everyone if x is not y))


def test_a_batch_with_a_node_that_stopped_asking_changes_nothing(live_nodes):
    coord, a, b = live_nodes(3, names=["coord", "aix", "bandol"])
    with coord.session() as session:
        network = rosters.create_network(session, coord.runtime, slug="sud", name="Coworking Sud")
        session.commit()
        network_id, founded = network.network_id, network.version
    for node in (a, b):
        with node.session() as session:
            application = rosters.ask_to_join(session, node.runtime, network_id)
            session.commit()
            assert rosters.send_application(session, node.runtime, application)
            session.commit()
    with coord.session() as session:
        peers.remove(session, peers.get_peer(session, b.url))
        session.commit()
        pending = session.scalars(select(JoinRequest).order_by(JoinRequest.id)).all()
        with pytest.raises(Conflict, match="not asking to peer"):
            rosters.accept_many(session, coord.runtime, list(pending))
        session.rollback()
        assert rosters.find_network(session, network_id).version == founded
        assert {r.status for r in session.scalars(select(JoinRequest))} == {"pending"}
        assert _status(coord, a) != APPROVED
