"""Per-network directory choices with real nodes over HTTP: a space that chose to share
nothing with a network withdraws its directory from the spaces that network alone peered it
with (their copies dropped at their next sync), keeps sharing with a space it also peered by
hand, still receives theirs, and shares again when its manager changes their mind (through the
API)."""

from __future__ import annotations

import secrets

from sqlalchemy import select

from node.federation.models import APPROVED, MANUAL
from node.models import NetworkEntry
from node.rosters import rosters
from tests.network.test_live import add_member, token
from tests.network.test_live_curation import add_manager
from tests.rosters.test_live_roster import _join, _rounds_until, _status


def _owners_held(node) -> set[str]:
    with node.session() as session:
        return set(session.scalars(select(NetworkEntry.owner).where(NetworkEntry.owner.is_not(None))))


def test_share_nothing_with_a_network_withdraws_the_directory_from_its_spaces_only(live_nodes):
    config = {"NETWORK_K": 1}
    coord = live_nodes.add("coord", {**config, "PSEUDONYM_SECRET": secrets.token_hex(32)})
    aix = live_nodes.add("aix", {**config, "PSEUDONYM_SECRET": secrets.token_hex(32)})
    bandol = live_nodes.add("bandol", {**config, "PSEUDONYM_SECRET": secrets.token_hex(32)})
    live_nodes.peer(aix, coord)  # aix and coord also peered by hand, before the network
    with coord.session() as session:
        network_id = rosters.create_network(session, coord.runtime, slug="sud",
                                            name="Coworking Sud").network_id
        session.commit()
    _join(coord, aix, network_id)
    # bandol asks through the API, and coord's manager accepts through the API.
    asker = token(bandol, add_manager(bandol, "gerant@bandol.example"))
    asked = bandol.client().post("/api/v1/admin/networks/join", headers=asker,
                                 json={"network": network_id})
    assert asked.status_code == 201, asked.json
    assert asked.json["status"] == "sent" and asked.json["coordinator"] == coord.url
    decider = token(coord, add_manager(coord, "gerant@coord.example"))
    [waiting] = coord.client().get("/api/v1/admin/networks/requests", headers=decider).json
    assert waiting["node_id"] == bandol.url
    accepted = coord.client().post(f"/api/v1/admin/networks/requests/{waiting['id']}",
                                   headers=decider, json={"action": "accept"})
    assert accepted.status_code == 200 and accepted.json["status"] == "accepted"
    everyone = [coord, aix, bandol]
    _rounds_until(everyone, lambda: all(_status(x, y) == APPROVED
                                        for x in everyone for y in everyone if x is not y))
    for x, y in ((aix, coord), (coord, aix)):  # peered by hand first: that reason is kept
        with x.session() as session:
            assert rosters.sources_of(session)[y.url] == [MANUAL, network_id]
    add_member(aix, "paule@aix.example", "Paule", skills=[("Comptabilité", "expert")],
               visibility="network_named")
    add_member(bandol, "bea@bandol.example", "Béa", skills=[("Menuiserie", "expert")],
               visibility="network_named")
    _rounds_until(everyone, lambda: aix.url in _owners_held(bandol)
                  and aix.url in _owners_held(coord) and bandol.url in _owners_held(aix))

    manager = token(aix, add_manager(aix, "gerant@aix.example"))
    with aix.session() as session:
        network_pk = rosters.find_network(session, network_id).id
    answer = aix.client().put(f"/api/v1/admin/networks/{network_pk}/sharing", headers=manager,
                              json={"share": "nothing"})
    assert answer.status_code == 200, answer.json
    assert answer.json["directory_share"] == "nothing"

    # bandol, peered with aix through the network alone, drops aix's entries at its next
    # sync; coord, also peered by hand, keeps them; aix still receives bandol's directory.
    _rounds_until(everyone, lambda: aix.url not in _owners_held(bandol))
    assert aix.url in _owners_held(coord)
    assert bandol.url in _owners_held(aix)

    answer = aix.client().put(f"/api/v1/admin/networks/{network_pk}/sharing", headers=manager,
                              json={"share": "peers"})
    assert answer.status_code == 200, answer.json
    _rounds_until(everyone, lambda: aix.url in _owners_held(bandol))
