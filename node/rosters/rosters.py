"""Networks as signed rosters: creating a network, joining one, the coordinator's decisions,
and what every node does with a roster it holds (peer with each member, unpeer those gone).

A network is an object of its founding coordinator (``<node>/network/<slug>``). Its roster
travels as a ``network.roster`` feed item (PROTOCOL §6.1), signed by whichever coordinator
published it: the founder, or a co-coordinator named in the roster version the receiver
holds. The highest version wins. A node on a roster peers with every other member (keys
pinned from the roster, no manager approval) and unpeers a member that left, unless the two
also peered by hand or through another network (``PeerSource``). Nothing here depends on the
coordinator being up: the cached roster is the authority until a newer version arrives.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from federation.client import PEERING_PATH
from federation.displaytext import clean
from federation.errors import FederationError
from federation.keys import KeyRecord, now_ms
from federation.messages import (
    NETWORK_ROSTER,
    PEERING_REQUEST,
    build_inbox_message,
    make_object_id,
    object_owner,
)

from ..domain_events import PeersChanged
from ..errors import N_, Conflict, Forbidden, NotFound
from ..errors import BadRequest as DomainBadRequest
from ..federation import feed, keyring, peers
from ..federation.keyring import FederationRuntime, runtime_of
from ..federation.models import APPROVED, PENDING_APPROVAL, REMOVED, SUSPENDED, Peer
from ..federation.registry import HandlerRegistry
from ..network import audience
from ..orm import utcnow
from ..regional import regional
from ..regional.models import RegionalEvent
from ..uow import record
from .models import (
    APPLICATION_FAILED,
    APPLICATION_MEMBER,
    APPLICATION_SENT,
    JOIN_ACCEPTED,
    JOIN_PENDING,
    JOIN_REFUSED,
    MANUAL,
    Application,
    JoinRequest,
    Network,
    PeerSource,
)

logger = logging.getLogger(__name__)

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


# --- reading a roster -------------------------------------------------------------------------


def members_of(network: Network) -> list[dict[str, Any]]:
    return json.loads(network.members_json or "[]")


def coordinators_of(network: Network) -> list[str]:
    return json.loads(network.coordinators_json or "[]")


def member_ids(network: Network) -> set[str]:
    return {m["node_id"] for m in members_of(network)}


def roster_content(network: Network) -> dict[str, Any]:
    """The roster as it travels (``network.roster`` content, PROTOCOL §6.1)."""
    return {"network": network.network_id, "name": network.name,
            "description": network.description, "charter": network.charter,
            "version": network.version, "coordinators": coordinators_of(network),
            "members": members_of(network)}


def roster_local_id(network_id: str) -> str:
    """The local id of a publisher's roster item for ``network_id`` (one per network)."""
    return "network-roster/" + hashlib.sha256(network_id.encode()).hexdigest()[:24]


def find_network(session: Session, network_id: str) -> Network:
    network = session.scalar(select(Network).where(Network.network_id == network_id))
    if network is None:
        raise NotFound(N_("No such network."))
    return network


def list_networks(session: Session) -> list[Network]:
    return list(session.scalars(select(Network).order_by(Network.name)))


def get_network(session: Session, network_pk: int) -> Network:
    """A network held here by its row id (the id of its page, and of the API)."""
    network = session.get(Network, network_pk)
    if network is None:
        raise NotFound(N_("No such network."))
    return network


def our_networks(session: Session, runtime: FederationRuntime) -> list[Network]:
    """The networks whose roster we are on (a regional event can be addressed to them)."""
    return [n for n in list_networks(session) if runtime.node_id in member_ids(n)]


def can_coordinate(runtime: FederationRuntime, network: Network) -> bool:
    return runtime.node_id in coordinators_of(network)


# --- the coordinator --------------------------------------------------------------------------


def _own_member(session: Session, runtime: FederationRuntime, joined_ts: int) -> dict[str, Any]:
    key = keyring.ensure_current_key(session, runtime)
    return {"node_id": runtime.node_id, "name": runtime.name, "key_id": key.key_id,
            "key": key.public_key, "joined_ts": joined_ts}


def _peer_member(peer: Peer, joined_ts: int) -> dict[str, Any]:
    keys = keyring.peer_keys(peer)
    record_ = keys.get(peer.pinned_key_id or "") or next(
        (r for r in keys.values() if r.is_valid_at(now_ms()) and r.valid_until is None), None)
    if record_ is None:
        raise Conflict(N_("This node's key is not known here: ask it to request peering again."))
    return {"node_id": peer.node_id, "name": peer.name or peer.node_id,
            "key_id": record_.key_id, "key": record_.public_key_b64, "joined_ts": joined_ts}


def create_network(session: Session, runtime: FederationRuntime, *, slug: str, name: str,
                   description: str = "", charter: str = "") -> Network:
    """Found a network coordinated by this node: version 1 of its roster (us alone), published
    on our feed. Flushes."""
    if not _SLUG.match(slug):
        raise DomainBadRequest(N_("The short name takes lower-case letters, digits and dashes."))
    name = clean(name).strip()
    if not name:
        raise DomainBadRequest(N_("A network needs a name."))
    network_id = make_object_id(runtime.node_id, f"network/{slug}")
    if session.scalar(select(Network.id).where(Network.network_id == network_id)):
        raise Conflict(N_("A network with this short name exists already."))
    network = Network(network_id=network_id, slug=slug, name=name[:200],
                      description=description[:2000], charter=charter[:5000], version=1,
                      coordinators_json=json.dumps([runtime.node_id]),
                      members_json=json.dumps([_own_member(session, runtime, now_ms())]),
                      publisher=runtime.node_id, is_ours=True)
    session.add(network)
    session.flush()
    _publish(session, network)
    return network


def _publish(session: Session, network: Network) -> None:
    runtime = runtime_of(session)
    network.publisher = runtime.node_id
    feed.publish(session, item_type=NETWORK_ROSTER, local_id=roster_local_id(network.network_id),
                 content=roster_content(network))
    session.flush()


def _new_version(session: Session, runtime: FederationRuntime, network: Network,
                 members: list[dict[str, Any]], coordinators: list[str] | None = None) -> None:
    if not can_coordinate(runtime, network):
        raise Forbidden(N_("Only a coordinator of this network can change its roster."))
    network.members_json = json.dumps(members)
    if coordinators is not None:
        network.coordinators_json = json.dumps(coordinators)
    network.version += 1
    _publish(session, network)
    reconcile(session, runtime, network)


def set_coordinators(session: Session, runtime: FederationRuntime, network: Network,
                     node_ids: list[str]) -> Network:
    """Name the co-coordinators (members who may sign later versions). Flushes."""
    members = member_ids(network)
    founder = object_owner(network.network_id)
    chosen = [founder] + [n for n in node_ids if n != founder]
    unknown = [n for n in chosen if n not in members]
    if unknown:
        raise DomainBadRequest(N_("A coordinator must be a member of the network."))
    _new_version(session, runtime, network, members_of(network), chosen[:10])
    return network


def on_peering_request(session: Session, peer: Peer, content: dict[str, Any]) -> None:
    """A ``peering.request`` naming a network we coordinate is its join request: recorded for
    our manager (once; a refused node may ask again). A coordinator's own confirmation to a
    node that applied makes us pull it at once (its roster is on its feed)."""
    runtime = runtime_of(session)
    network_id = content.get("network")
    application = session.scalar(select(Application).where(
        Application.coordinator == peer.node_id))
    if application is not None and peer.status == APPROVED:
        _pull_soon(peer)
    if not network_id:
        return
    network = session.scalar(select(Network).where(Network.network_id == network_id))
    if network is None or not can_coordinate(runtime, network):
        return
    if peer.node_id in member_ids(network):
        return
    request = session.scalar(select(JoinRequest).where(
        JoinRequest.network_id == network_id, JoinRequest.node_id == peer.node_id))
    if request is None:
        session.add(JoinRequest(network_id=network_id, node_id=peer.node_id))
    elif request.status != JOIN_PENDING:
        request.status, request.decided_at = JOIN_PENDING, None
    session.flush()


def pending_requests(session: Session, network: Network) -> list[JoinRequest]:
    return list(session.scalars(select(JoinRequest).where(
        JoinRequest.network_id == network.network_id, JoinRequest.status == JOIN_PENDING)
        .order_by(JoinRequest.id)))


def accept(session: Session, runtime: FederationRuntime, request: JoinRequest) -> Peer:
    """Our manager accepts a join request: the node is approved as our peer (its pinned key
    goes on the roster) and a new roster version is published. Flushes; after commit the
    caller sends our peering confirmation (:func:`node.federation.peers.send_confirmation`)."""
    return accept_many(session, runtime, [request])[0]


def accept_many(session: Session, runtime: FederationRuntime,
                requests: list[JoinRequest]) -> list[Peer]:
    """Our manager accepts several join requests in one decision (ten spaces asking to join
    before a Coworking Week): each node approved as for :func:`accept`, and **one** roster
    version per network for all of them, so every member reconciles once rather than once per
    newcomer. All or nothing: a request whose node no longer asks to peer refuses the whole
    decision. Flushes; the caller sends the confirmations after commit."""
    accepted: list[Peer] = []
    joining: dict[str, list[Peer]] = {}
    for request in requests:
        network = find_network(session, request.network_id)
        peer = peers.get_peer(session, request.node_id)
        if peer is None or peer.status in (REMOVED, SUSPENDED):
            raise Conflict(N_("This node is not asking to peer any more."))
        _keep_manual(session, peer)
        _add_source(session, peer.node_id, network.network_id)
        if peer.status == PENDING_APPROVAL:
            peers.approve(session, runtime, peer)
        elif peer.status != APPROVED:
            _approve_from_roster(session, peer, None)
        request.status, request.decided_at = JOIN_ACCEPTED, utcnow()
        joining.setdefault(network.network_id, []).append(peer)
        accepted.append(peer)
    for network_id, newcomers in joining.items():
        network = find_network(session, network_id)
        arriving = {peer.node_id for peer in newcomers}
        members = [m for m in members_of(network) if m["node_id"] not in arriving]
        members += [_peer_member(peer, now_ms()) for peer in newcomers]
        _new_version(session, runtime, network, members)
    return accepted


def add_member(session: Session, runtime: FederationRuntime, network: Network,
               peer: Peer) -> Network:
    """Put an approved peer on the roster with its pinned key (a new version). Flushes."""
    _keep_manual(session, peer)
    _add_source(session, peer.node_id, network.network_id)
    members = [m for m in members_of(network) if m["node_id"] != peer.node_id]
    members.append(_peer_member(peer, now_ms()))
    _new_version(session, runtime, network, members)
    return network


def refuse(session: Session, request: JoinRequest) -> None:
    """Our manager refuses a join request; the node's peering request stays for the peers page."""
    request.status, request.decided_at = JOIN_REFUSED, utcnow()
    session.flush()


def remove_member(session: Session, runtime: FederationRuntime, network: Network,
                  node_id: str) -> Network:
    """Take a node off the roster (a new version); every member unpeers it at its next sync
    unless also peered otherwise. Flushes."""
    if node_id == object_owner(network.network_id):
        raise Conflict(N_("The founding coordinator cannot leave its own network."))
    members = [m for m in members_of(network) if m["node_id"] != node_id]
    if len(members) == len(members_of(network)):
        raise NotFound(N_("This node is not on the roster."))
    coordinators = [c for c in coordinators_of(network) if c != node_id]
    _new_version(session, runtime, network, members, coordinators)
    return network


# --- joining ----------------------------------------------------------------------------------


def ask_to_join(session: Session, runtime: FederationRuntime, network_id: str,
                coordinator: str | None = None) -> Application:
    """Our manager asks to join ``network_id`` (its founder, or ``coordinator``): we request
    peering with the coordinator as the peers page does, and remember the application.
    Flushes; after commit the caller sends it with :func:`send_application`."""
    try:
        owner = object_owner(network_id)
    except FederationError:
        raise DomainBadRequest(N_("This is not a network address.")) from None
    target = keyring.normalise_peer_url(coordinator or owner)
    if target == runtime.node_id:
        raise DomainBadRequest(N_("This node coordinates that network."))
    _keep_manual(session, peers.get_peer(session, target))
    peer = peers.request_peering(session, runtime, target)
    peer.needs_confirmation = False  # the application below is our peering request
    application = session.scalar(select(Application).where(Application.network_id == network_id))
    if application is None:
        application = Application(network_id=network_id, coordinator=target)
        session.add(application)
    application.coordinator, application.status = target, APPLICATION_SENT
    _add_source(session, target, network_id)
    session.flush()
    return application


def send_application(session: Session, runtime: FederationRuntime,
                     application: Application) -> bool:
    """Post our ``peering.request`` naming the network to its coordinator (PROTOCOL §7.1).
    Call it after a commit; flushes the outcome."""
    peer = peers.get_peer(session, application.coordinator)
    content = {"name": runtime.name, "city": runtime.city or "-",
               "region": runtime.region or "-", "network": application.network_id}
    if runtime.contact_email:
        content["contact_email"] = runtime.contact_email
    message = build_inbox_message(message_type=PEERING_REQUEST, origin=runtime.node_id,
                                  destination=application.coordinator, content=content,
                                  key=runtime.signing_key())
    application.attempts += 1
    client = runtime.client(application.coordinator)
    try:
        answer = client.post_signed(application.coordinator, PEERING_PATH, message)
    except FederationError as exc:
        application.status = APPLICATION_FAILED
        application.last_error = f"{exc.code}: {exc.message}"[:500]
        session.flush()
        return False
    finally:
        client.close()
    application.last_error = None
    if peer is not None and answer.get("status") == "approved" and peer.status != APPROVED:
        _approve_from_roster(session, peer, None)
        _pull_soon(peer)
    session.flush()
    return True


# --- every node: holding a roster -------------------------------------------------------------


def apply_roster(session: Session, peer: Peer, item: dict[str, Any]) -> None:
    """A verified ``network.roster`` item pulled from ``peer``: kept if ``peer`` may sign this
    network's roster (its founder, a coordinator of the version we hold, or, holding none, the
    coordinator we applied to if the roster names it) and the version is
    newer than ours; then we peer and unpeer to match it. A tombstone changes nothing here
    (the cached roster keeps working)."""
    content = item.get("content")
    if item.get("deleted") or not content:
        return
    runtime = runtime_of(session)
    network_id = content["network"]
    network = session.scalar(select(Network).where(Network.network_id == network_id))
    allowed = {object_owner(network_id)} | set(coordinators_of(network) if network else [])
    if network is None and peer.node_id in content["coordinators"]:
        # A newcomer that applied through a co-coordinator takes its word for the first one.
        allowed |= set(session.scalars(select(Application.coordinator).where(
            Application.network_id == network_id)))
    if peer.node_id not in allowed:
        logger.warning("roster of %s from %s, not one of its coordinators: ignored",
                       network_id, peer.node_id)
        return
    if network is not None and content["version"] <= network.version:
        return
    if network is None:
        network = Network(network_id=network_id, slug=network_id.rsplit("/", 1)[-1][:100],
                          is_ours=False, publisher=peer.node_id)
        session.add(network)
    network.name = clean(content["name"])
    network.description = clean(content["description"], keep_lines=True)
    network.charter = clean(content["charter"], keep_lines=True)
    network.version = content["version"]
    network.coordinators_json = json.dumps(content["coordinators"])
    network.members_json = json.dumps(content["members"])
    network.publisher = peer.node_id
    network.is_ours = runtime.node_id == object_owner(network_id)
    session.flush()
    reconcile(session, runtime, network)


def reconcile(session: Session, runtime: FederationRuntime, network: Network) -> list[str]:
    """Peer with every member of ``network``'s roster (keys pinned from it) and unpeer the
    nodes this network alone had us peer with that are no longer on it (their copies dropped,
    as removing a peer does). If we are not on the roster, the network peers us with nobody.
    Flushes; returns the node ids newly peered."""
    members = {m["node_id"]: m for m in members_of(network)}
    on_roster = runtime.node_id in members
    application = session.scalar(select(Application).where(
        Application.network_id == network.network_id))
    if application is not None and on_roster:
        application.status = APPLICATION_MEMBER
    newly: list[str] = []
    if on_roster:
        for node_id, member in members.items():
            if node_id == runtime.node_id:
                continue
            if _peer_with(session, node_id, member, network.network_id):
                newly.append(node_id)
    wanted = set(members) if on_roster else set()
    for source in session.scalars(select(PeerSource).where(
            PeerSource.source == network.network_id)).all():
        if source.peer_node_id in wanted:
            continue
        session.delete(source)
        session.flush()
        others = session.scalar(select(PeerSource.id).where(
            PeerSource.peer_node_id == source.peer_node_id))
        peer = peers.get_peer(session, source.peer_node_id)
        if others is None and peer is not None and peer.status != REMOVED:
            logger.info("network %s: unpeering %s", network.network_id, peer.node_id)
            peers.remove(session, peer)
    if newly:
        feed.queue_feed_hints(session, set(newly))
    session.flush()
    return newly


def _peer_with(session: Session, node_id: str, member: dict[str, Any], network_id: str) -> bool:
    peer = peers.get_peer(session, node_id)
    _keep_manual(session, peer)
    _add_source(session, node_id, network_id)
    if peer is not None and peer.status in (APPROVED, SUSPENDED):
        return False  # a suspension is the manager's word: the network does not lift it
    try:
        KeyRecord(member["key_id"], member["key"], 0).verify_key()
    except FederationError:
        logger.warning("roster of %s: %s's key id does not match its key", network_id, node_id)
        return False
    if peer is None:
        peer = Peer(node_id=node_id, status=PENDING_APPROVAL, keys_json="{}",
                    name=clean(member["name"]))
        session.add(peer)
    _approve_from_roster(session, peer, member)
    _pull_soon(peer)
    return True


def _approve_from_roster(session: Session, peer: Peer, member: dict[str, Any] | None) -> None:
    """Approve ``peer`` with the key the roster names pinned (no handshake: the roster's
    signature is the approval)."""
    if member is not None:
        keys = keyring.peer_keys(peer)
        if member["key_id"] not in keys:
            keys[member["key_id"]] = KeyRecord(member["key_id"], member["key"], 0)
            keyring._store_keys(peer, keys)  # noqa: SLF001 - the keyring's one writer
        peer.pinned_key_id = member["key_id"]
    else:
        keyring.pin_current_keys(peer, now_ms())
    peer.status = APPROVED
    peer.needs_confirmation = False
    peer.approved_at = utcnow()
    record(session, PeersChanged())
    session.flush()


def _pull_soon(peer: Peer) -> None:
    """Ask the scheduler's short loop to pull ``peer`` now (as a ``feed.hint`` would)."""
    peer.pull_requested_ms = now_ms()
    peer.next_attempt_ms = 0
    peer.backoff_failures = 0


def _keep_manual(session: Session, peer: Peer | None) -> None:
    """A peer approved by hand before any network (no source recorded) keeps that reason."""
    if peer is None or peer.status != APPROVED:
        return
    if session.scalar(select(PeerSource.id).where(PeerSource.peer_node_id == peer.node_id)) is None:
        _add_source(session, peer.node_id, MANUAL)


def _add_source(session: Session, node_id: str, source: str) -> None:
    exists = session.scalar(select(PeerSource.id).where(
        PeerSource.peer_node_id == node_id, PeerSource.source == source))
    if exists is None:
        session.add(PeerSource(peer_node_id=node_id, source=source))
        session.flush()


def sources_of(session: Session) -> dict[str, list[str]]:
    """Why each peer is peered: ``{node_id: ["manual", <network id>, ...]}``."""
    out: dict[str, list[str]] = {}
    for row in session.scalars(select(PeerSource).order_by(PeerSource.id)):
        out.setdefault(row.peer_node_id, []).append(row.source)
    return out


# --- per-network choices ----------------------------------------------------------------------


def directory_share(session: Session, network: Network) -> str:
    """What our directory shares with the peers this network had us peer with."""
    return audience.choice_for(session, network.network_id)


def set_directory_share(session: Session, runtime: FederationRuntime, network: Network,
                        share: str) -> str:
    """Our manager's choice for ``network`` (``peers``: as with any peer; ``nothing``); the
    export publishes or withdraws after the commit. Only a network we are on. Flushes."""
    if runtime.node_id not in member_ids(network):
        raise Forbidden(N_("This space is not on the network's roster."))
    return audience.set_choice(session, network.network_id, share).share


def invite_network(session: Session, runtime: FederationRuntime, regional_event: RegionalEvent,
                   network: Network, now: datetime) -> tuple[list[str], list[str]]:
    """Address our regional event to ``network``: every other node of its roster that is an
    approved peer is invited at once (:func:`node.regional.regional.invite`, one signed
    invitation each). Returns (invited, not peered yet: left out). Flushes."""
    ours = member_ids(network)
    if runtime.node_id not in ours:
        raise Forbidden(N_("This space is not on the network's roster."))
    others = sorted(ours - {runtime.node_id})
    approved = set(session.scalars(select(Peer.node_id).where(
        Peer.node_id.in_(others), Peer.status == APPROVED))) if others else set()
    ready = [node_id for node_id in others if node_id in approved]
    invited = regional.invite(session, regional_event, ready, now) if ready else []
    return [row.node_id for row in invited], [n for n in others if n not in approved]


def register(registry: HandlerRegistry) -> None:
    """Networks: the roster feed item, and join requests riding on peering requests."""
    registry.on_feed_item(NETWORK_ROSTER, apply_roster)
    registry.on_peering_request(on_peering_request)
