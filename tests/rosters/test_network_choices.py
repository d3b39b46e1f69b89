"""The product side of networks on one node: refusing a join request and removing a space ask
first; what our directory shares with a network (the manager's choice, enforced by the export:
nothing leaves for a peer whose every reason to be peered is a network that shares nothing);
the network's page (spaces by name, totals with visits, its Coworking Weeks); a regional event
addressed to a network invites its spaces at once; the networks API."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from federation.keys import KeyRecord, SigningKey
from node.connector.models import PeerStats
from node.federation.keyring import RUNTIME_INFO_KEY
from node.federation.models import (
    APPROVED,
    MANUAL,
    PENDING_APPROVAL,
    OutboxMessage,
    Peer,
    PeerSource,
)
from node.models import FeedEntry
from node.network.audience import withheld_peers
from node.network.export import sync_exports
from node.network.models import DirectoryChoice
from node.network.settings import NetworkSettings
from node.regional.models import RegionalEvent, RegionalParticipant
from node.rosters import rosters
from node.rosters.models import JoinRequest, Network

AIX, BANDOL, CASSIS = "https://aix.example.org", "https://bandol.example.org", "https://cassis.example.org"
SETTINGS = NetworkSettings(pseudonym_secret=bytes.fromhex("22" * 32), k=1)


def _member(node_id: str, name: str) -> dict:
    key = SigningKey.generate()
    return {"node_id": node_id, "name": name, "key_id": key.key_id,
            "key": key.public().to_b64(), "joined_ts": 1}


@pytest.fixture
def network(app, session) -> Network:
    """Coworking Sud, coordinated here: Aix and Bandol approved peers through it, Cassis on the
    roster but not peered yet; Bandol also peered by hand."""
    us = app.extensions[RUNTIME_INFO_KEY].node_id
    row = Network(network_id=f"{us}/network/sud", slug="sud", name="Coworking Sud",
                  publisher=us, is_ours=True, coordinators_json=json.dumps([us]),
                  members_json=json.dumps([_member(us, "Ici"), _member(AIX, "Atelier Aix"),
                                           _member(BANDOL, "La Cale"),
                                           _member(CASSIS, "Calanque")]))
    session.add_all([row, Peer(node_id=AIX, name="Atelier Aix", status=APPROVED),
                     Peer(node_id=BANDOL, name="La Cale", status=APPROVED),
                     Peer(node_id=CASSIS, name="Calanque", status=PENDING_APPROVAL),
                     PeerSource(peer_node_id=AIX, source=f"{us}/network/sud"),
                     PeerSource(peer_node_id=BANDOL, source=MANUAL),
                     PeerSource(peer_node_id=BANDOL, source=f"{us}/network/sud")])
    session.commit()
    return row


def _directory_holders(session) -> dict[str, int]:
    session.expire_all()
    rows = session.scalars(select(FeedEntry).where(FeedEntry.item_type == "directory.entry"))
    held: dict[str, int] = {}
    for row in rows:
        held.setdefault(row.recipient, 0)
        held[row.recipient] += 0 if json.loads(row.item_json)["deleted"] else 1
    return held


# --- 1. confirmations ---------------------------------------------------------------------------


def test_refusing_a_join_request_and_removing_a_space_ask_first(app, session, portal,
                                                                create_member, network):
    create_member("boss@example.org", role="manager")
    join = JoinRequest(network_id=network.network_id, node_id="https://digne.example.org")
    session.add(join)
    session.commit()
    portal.login("boss@example.org")
    page = portal.get("/admin/networks").get_data(as_text=True)
    assert page.count('<details class="confirm">') == 1 + 3  # refuse, and remove ×3
    assert 'name="confirm" value="1"' in page

    asked = portal.post(f"/admin/networks/requests/{join.id}", {"action": "refuse"})
    assert asked.status_code == 200 and "data-confirmation" in asked.get_data(as_text=True)
    asked = portal.post(f"/admin/networks/{network.id}/roster", {"action": "remove", "node_id": AIX})
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Atelier Aix" in html and "Coworking Sud" in html
    session.expire_all()
    assert session.get(JoinRequest, join.id).status == "pending"
    assert AIX in rosters.member_ids(session.get(Network, network.id))

    assert portal.post(f"/admin/networks/requests/{join.id}",
                       {"action": "refuse", "confirm": "1"}).status_code == 302
    assert portal.post(f"/admin/networks/{network.id}/roster",
                       {"action": "remove", "node_id": AIX, "confirm": "1"}).status_code == 302
    session.expire_all()
    assert session.get(JoinRequest, join.id).status == "refused"
    assert AIX not in rosters.member_ids(session.get(Network, network.id))
    # Accepting and naming a co-coordinator still take one click (nothing is lost).
    assert portal.post(f"/admin/networks/{network.id}/roster",
                       {"action": "coordinator", "node_id": BANDOL}).status_code == 302
    session.expire_all()
    assert BANDOL in rosters.coordinators_of(session.get(Network, network.id))


# --- 2. what the directory shares with a network ------------------------------------------------


def test_share_nothing_withdraws_the_directory_from_the_networks_peers_only(app, session,
                                                                           create_member, network):
    create_member(skills=[("comptabilité", "expert")], visibility="network_named")
    runtime = app.extensions[RUNTIME_INFO_KEY]
    session.add(Peer(node_id="https://ailleurs.example.org", name="Ailleurs", status=APPROVED))
    session.commit()  # peered before networks existed: no source recorded
    sync_exports(session, SETTINGS)
    session.commit()
    assert rosters.directory_share(session, network) == "peers"
    assert _directory_holders(session) == {AIX: 1, BANDOL: 1, "https://ailleurs.example.org": 1}

    assert rosters.set_directory_share(session, runtime, network, "nothing") == "nothing"
    session.commit()
    assert withheld_peers(session) == {AIX}  # Bandol is also peered by hand
    sync_exports(session, SETTINGS)
    session.commit()
    held = _directory_holders(session)
    assert held[AIX] == 0 and held[BANDOL] == 1 and held["https://ailleurs.example.org"] == 1

    rosters.set_directory_share(session, runtime, network, "peers")
    session.commit()
    sync_exports(session, SETTINGS)
    session.commit()
    assert _directory_holders(session)[AIX] == 1
    assert session.scalar(select(func.count()).select_from(DirectoryChoice)) == 1


def test_only_the_manager_of_a_space_on_the_roster_chooses(app, session, portal, create_member,
                                                           network):
    create_member("boss@example.org", role="manager")
    create_member("ana@example.org")
    portal.login("ana@example.org")
    page = portal.get(f"/networks/{network.id}").get_data(as_text=True)
    assert "data-sharing" not in page
    assert portal.post(f"/networks/{network.id}/sharing", {"share": "nothing"}).status_code == 403
    portal.post("/logout")
    portal.login("boss@example.org")
    page = portal.get(f"/networks/{network.id}").get_data(as_text=True)
    assert 'data-sharing="peers"' in page
    assert portal.post(f"/networks/{network.id}/sharing", {"share": "everything"}).status_code == 422
    assert portal.post(f"/networks/{network.id}/sharing", {"share": "nothing"}).status_code == 302
    assert 'data-sharing="nothing"' in portal.get(f"/networks/{network.id}").get_data(as_text=True)

    # A network we are not on: no choice to make (and nothing to share with it).
    other = Network(network_id="https://loin.example.org/network/nord", slug="nord", name="Nord",
                    publisher="https://loin.example.org",
                    members_json=json.dumps([_member("https://loin.example.org", "Loin")]))
    session.add(other)
    session.commit()
    assert "data-sharing" not in portal.get(f"/networks/{other.id}").get_data(as_text=True)
    assert portal.post(f"/networks/{other.id}/sharing", {"share": "nothing"}).status_code == 403


# --- 3. the network's page ----------------------------------------------------------------------


def test_the_network_page_lists_spaces_totals_and_coworking_weeks(app, session, portal, clock,
                                                                  create_member, network):
    create_member("ana@example.org")
    now = clock.now()
    session.add_all([
        PeerStats(peer=AIX, content={"directory_entries": 4, "events_upcoming": 2,
                                     "business_cents": 150000, "pass_visits": 7}),
        PeerStats(peer=BANDOL, content={"directory_entries": 1, "events_upcoming": 0,
                                        "business_cents": 0, "pass_visits": 5}),
        PeerStats(peer="https://ailleurs.example.org", content={"pass_visits": 100}),
    ])
    week = RegionalEvent(object_id=f"{AIX}/regional/1", organiser=AIX, organiser_name="Atelier Aix",
                         title="Coworking Week Sud", starts_at=now + timedelta(days=20),
                         ends_at=now + timedelta(days=25), status="scheduled")
    outside = RegionalEvent(object_id=f"{BANDOL}/regional/2", organiser=BANDOL,
                            title="Semaine avec Lyon", starts_at=now + timedelta(days=30),
                            ends_at=now + timedelta(days=31), status="scheduled")
    past = RegionalEvent(object_id=f"{AIX}/regional/3", organiser=AIX, title="Semaine passée",
                         starts_at=now - timedelta(days=30), ends_at=now - timedelta(days=25),
                         status="scheduled")
    elsewhere = RegionalEvent(object_id="https://lyon.example.org/regional/4",
                              organiser="https://lyon.example.org", title="Semaine lyonnaise",
                              starts_at=now + timedelta(days=3), ends_at=now + timedelta(days=4),
                              status="scheduled")
    session.add_all([week, outside, past, elsewhere])
    session.flush()
    session.add(RegionalParticipant(regional_event_id=outside.id, node_id="https://lyon.example.org",
                                    status="accepted"))
    session.add(RegionalParticipant(regional_event_id=week.id, node_id=BANDOL, status="accepted"))
    session.commit()

    portal.login("ana@example.org")
    page = portal.get(f"/networks/{network.id}").get_data(as_text=True)
    spaces = page[page.index("data-spaces"):]
    spaces = spaces[:spaces.index("</ul>")]
    assert [name in spaces for name in ("Atelier Aix", "La Cale", "Calanque")] == [True] * 3
    assert "aix.example.org" not in spaces
    assert 'data-visits="12"' in page  # 7 + 5, not the 100 of a space off the roster
    weeks = page[page.index("data-weeks"):]
    weeks = weeks[:weeks.index("</ul>")]
    assert "Coworking Week Sud" in weeks
    assert all(title not in weeks for title in ("Semaine avec Lyon", "Semaine passée",
                                                  "Semaine lyonnaise"))


# --- 4. a regional event addressed to a network -------------------------------------------------


def test_a_regional_event_addressed_to_a_network_invites_its_peered_spaces_at_once(
        app, session, portal, clock, create_member, network):
    create_member("boss@example.org", role="manager")
    portal.login("boss@example.org")
    form_page = portal.get("/regional/").get_data(as_text=True)
    assert 'name="network"' in form_page and "Coworking Sud" in form_page
    start = (clock.now() + timedelta(days=40)).replace(microsecond=0, tzinfo=None)
    answer = portal.post("/regional/", {
        "title": "Coworking Week Sud", "region": "Provence", "visibility": "network",
        "starts_at": start.isoformat(timespec="minutes"),
        "ends_at": (start + timedelta(days=5)).isoformat(timespec="minutes"),
        "network": str(network.id)})
    assert answer.status_code == 302
    regional = session.scalar(select(RegionalEvent).where(RegionalEvent.title == "Coworking Week Sud"))
    invited = dict(session.execute(select(RegionalParticipant.node_id, RegionalParticipant.status)
                                   .where(RegionalParticipant.regional_event_id == regional.id)).all())
    assert invited == {AIX: "invited", BANDOL: "invited"}  # Cassis is not peered yet
    messages = session.scalars(select(OutboxMessage.destination).where(
        OutboxMessage.message_type == "regional.invitation")).all()
    assert sorted(messages) == [AIX, BANDOL]

    # Without a network, nobody is invited; a network that does not exist is refused.
    assert portal.post("/regional/", {
        "title": "Apéro", "visibility": "network", "starts_at": start.isoformat(timespec="minutes"),
        "ends_at": (start + timedelta(days=1)).isoformat(timespec="minutes"),
        "network": ""}).status_code == 302
    assert session.scalar(select(func.count()).select_from(RegionalParticipant)) == 2
    refused = portal.post("/regional/", {
        "title": "Autre", "visibility": "network", "starts_at": start.isoformat(timespec="minutes"),
        "ends_at": (start + timedelta(days=1)).isoformat(timespec="minutes"), "network": "999999"})
    assert refused.status_code == 404
    assert session.scalar(select(func.count()).select_from(RegionalEvent)) == 2


# --- 5. the API ---------------------------------------------------------------------------------


def test_the_networks_api(app, client, session, create_member, api_token, network):
    manager = api_token(create_member("boss@example.org", role="manager"))
    member = api_token(create_member("ana@example.org"))
    session.add(PeerStats(peer=AIX, content={"directory_entries": 4, "pass_visits": 3}))
    join = JoinRequest(network_id=network.network_id, node_id=CASSIS)
    session.add(join)
    session.commit()

    listed = client.get("/api/v1/networks", headers=member)
    assert listed.status_code == 200
    [row] = listed.json
    assert row["name"] == "Coworking Sud" and row["on_roster"] and row["directory_share"] == "peers"
    shown = client.get(f"/api/v1/networks/{network.id}", headers=member).json
    assert {s["name"] for s in shown["spaces"]} == {"Ici", "Atelier Aix", "La Cale", "Calanque"}
    assert shown["totals"]["visits"] == 3 and shown["totals"]["members_sharing"] == 4
    assert shown["weeks"] == []
    assert client.get("/api/v1/networks/999999", headers=member).status_code == 404

    assert client.get("/api/v1/admin/networks/requests", headers=member).status_code == 403
    pending = client.get("/api/v1/admin/networks/requests", headers=manager).json
    assert [(p["id"], p["node_id"]) for p in pending] == [(join.id, CASSIS)]
    refused = client.post(f"/api/v1/admin/networks/requests/{join.id}", headers=manager,
                          json={"action": "refuse"})
    assert refused.status_code == 200 and refused.json["status"] == "refused"

    assert client.put(f"/api/v1/admin/networks/{network.id}/sharing", headers=member,
                      json={"share": "nothing"}).status_code == 403
    assert client.put(f"/api/v1/admin/networks/{network.id}/sharing", headers=manager,
                      json={"share": "all"}).status_code == 422
    chosen = client.put(f"/api/v1/admin/networks/{network.id}/sharing", headers=manager,
                        json={"share": "nothing"})
    assert chosen.status_code == 200 and chosen.json["directory_share"] == "nothing"


def test_the_regional_api_addresses_an_event_to_a_network(client, clock, session, create_member,
                                                          api_token, network):
    manager = api_token(create_member("boss@example.org", role="manager"))
    start = (clock.now() + timedelta(days=40)).replace(microsecond=0, tzinfo=None)
    created = client.post("/api/v1/regional", headers=manager, json={
        "title": "Coworking Week Sud", "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(days=5)).isoformat(), "network": network.id})
    assert created.status_code == 201, created.json
    assert {(p["node_id"], p["status"]) for p in created.json["participants"]} == {
        (AIX, "invited"), (BANDOL, "invited")}
    assert client.post("/api/v1/regional", headers=manager, json={
        "title": "Autre", "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(days=1)).isoformat(), "network": 999999}).status_code == 404


def test_an_existing_regional_event_invites_a_network_at_once(client, portal, clock, session,
                                                              create_member, api_token, network):
    boss = create_member("boss@example.org", role="manager")
    manager = api_token(boss)
    start = (clock.now() + timedelta(days=40)).replace(microsecond=0, tzinfo=None)
    created = client.post("/api/v1/regional", headers=manager, json={
        "title": "Coworking Week Sud", "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(days=5)).isoformat()}).json
    assert created["participants"] == []
    # Neither spaces nor a network: refused, nothing sent.
    empty = client.post(f"/api/v1/regional/{created['id']}/invitations", headers=manager, json={})
    assert empty.status_code == 422 and "node_ids" in empty.json["error"]["fields"]
    assert session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.message_type == "regional.invitation")) == 0

    portal.login("boss@example.org")
    page = portal.get(f"/regional/{created['id']}").get_data(as_text=True)
    assert 'id="invite-network"' in page
    assert portal.post(f"/regional/{created['id']}/invitations",
                       {"network": str(network.id)}).status_code == 302
    invited = set(session.scalars(select(RegionalParticipant.node_id).where(
        RegionalParticipant.regional_event_id == created["id"])))
    assert invited == {AIX, BANDOL}
    # Again through the API: the invited are not invited twice.
    again = client.post(f"/api/v1/regional/{created['id']}/invitations", headers=manager,
                        json={"network": network.id})
    assert again.status_code == 200
    assert session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.message_type == "regional.invitation")) == 2


def _pinned() -> str:
    """A peer's key document as held here (one current key)."""
    record = KeyRecord.for_key(SigningKey.generate())
    return json.dumps({record.key_id: {"key": record.public_key_b64, "valid_from": 0,
                                       "valid_until": None, "revoked_at": None}})


def test_the_coordinator_accepts_every_waiting_request_in_one_decision(app, session, portal,
                                                                      create_member, network):
    digne, embrun = "https://digne.example.org", "https://embrun.example.org"
    session.add_all([Peer(node_id=digne, name="Digne Cowork", status=APPROVED, keys_json=_pinned()),
                     Peer(node_id=embrun, name="Embrun Cowork", status=APPROVED, keys_json=_pinned()),
                     JoinRequest(network_id=network.network_id, node_id=digne),
                     JoinRequest(network_id=network.network_id, node_id=embrun)])
    session.commit()
    version = network.version
    create_member("boss@example.org", role="manager")
    portal.login("boss@example.org")
    page = portal.get("/admin/networks").get_data(as_text=True)
    assert "Accepter les 2 demandes" in page
    answer = portal.post(f"/admin/networks/{network.id}/requests", {})
    assert answer.status_code == 302
    shown = portal.get("/admin/networks").get_data(as_text=True)
    assert "2 demandes d’adhésion acceptées." in shown, shown[shown.find("flash"):shown.find("flash") + 300]
    session.expire_all()
    held = session.get(Network, network.id)
    assert held.version == version + 1  # one roster version for both newcomers
    assert {digne, embrun} <= rosters.member_ids(held)
    assert {r.status for r in session.scalars(select(JoinRequest))} == {"accepted"}
    # Nothing left to accept: said so, nothing changes.
    portal.post(f"/admin/networks/{network.id}/requests", {})
    session.expire_all()
    assert session.get(Network, network.id).version == version + 1
