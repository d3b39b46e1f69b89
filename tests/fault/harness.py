"""The fault suite's harness: live nodes set up as deployed (hints after commit, pulls on a hint,
periodic jobs, a scheduler per node), a Coworking Week across them, a lossy proxy in front of
a node, and the one check every scenario ends with, :func:`assert_converged`: for every
cross-node registration, the member's node and the host agree, nothing is lost or duplicated,
and no message died that should have been delivered.

Scenarios live in :mod:`tests.fault.scenarios` (short in the tests, long in ``python -m bench
faults``)."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from werkzeug.serving import make_server

from federation.messages import make_object_id
from node.db import EXTENSION_KEY as DB_KEY
from node.db import make_engine
from node.events import registrations
from node.federation import scheduler
from node.federation.models import DELIVERY_DEAD, DELIVERY_PENDING
from node.models import (
    DirectoryExport,
    NetworkEntry,
    OutboxMessage,
    Registration,
    RemoteRegistration,
)
from node.regional.registration import WIRE_STATUS
from tests.fault.proxy import LossyProxy
from tests.livenodes import LiveNetwork, LiveNode
from tests.regional.conftest import (
    Week,
    add_member,
    add_session,
    call,
    local,
    token,
    wait_delivered,
)

#: A live node of the fault suite runs as deployed: hints after commit, pulls on a hint by the
#: scheduler's short loop, its periodic jobs; limits high enough for the crowds of the scenarios.
FAULT_SETTINGS: dict[str, Any] = {
    "FEDERATION_HINT_AFTER_COMMIT": True,
    "FEDERATION_PULL_ON_HINT": True,
    "FEDERATION_HINT_POLL_SECONDS": 0.25,
    "PERIODIC_JOBS": True,
    "FEDERATION_SEATS_PER_PEER_PER_SESSION": 200,
    "FEDERATION_INBOX_PER_TYPE_PER_MINUTE": 5000,
    "FEDERATION_HINTS_PER_MINUTE": 600,
}
#: What a member's node may show once the dust settled (anything else is still on its way).
SETTLED = {"confirmed", "waitlisted", "cancelled", "refused"}
#: Statuses that hold a seat or a waitlist place at the host.
HOLDING = set(registrations.ACTIVE)


# --- the network ------------------------------------------------------------------------------

def build_week(network: LiveNetwork, now: datetime, names: Iterable[str] = ("aix", "bleau", "calanques"),
               config: dict[str, Any] | None = None) -> Week:
    """Nodes peered with each other, a Coworking Week organised by the first and co-organised
    by the others (invited, accepted), each node's manager's API token; no session yet."""
    start = (now + timedelta(days=3)).replace(hour=7, minute=0, second=0, microsecond=0)
    nodes = [network.add(name, {**FAULT_SETTINGS, "PSEUDONYM_SECRET": secrets.token_hex(32), **(config or {})})
             for name in names]
    for node in nodes:
        widen_pool(node)
    network.peer_all()
    managers = [token(node, add_member(node, f"manager@{node.name}.example", f"Manager {node.name}",
                                       role="manager")) for node in nodes]
    organiser = nodes[0]
    created = call(organiser, "POST", "/regional", managers[0], {
        "title": "Semaine du coworking", "region": "Provence", "visibility": "public",
        "description": "Une semaine d'ateliers dans tous les espaces.",
        "starts_at": local(start), "ends_at": local(start + timedelta(days=5))}, expect=201)
    object_id = created.json["object_id"]
    call(organiser, "POST", f"/regional/{created.json['id']}/invitations", managers[0],
         {"node_ids": [node.url for node in nodes[1:]]})
    wait_delivered(organiser)
    ids = [created.json["id"]]
    for node, headers in zip(nodes[1:], managers[1:], strict=True):
        invited = next(r for r in call(node, "GET", "/regional", headers).json
                       if r["object_id"] == object_id)
        call(node, "POST", f"/regional/{invited['id']}/answer", headers, {"decision": "accepted"})
        ids.append(invited["id"])
    wait_delivered(*nodes[1:])
    return Week(nodes, managers, start, ids)


def host_session(week: Week, host: LiveNode, *, capacity: int | None, name: str = "session",
                 day: int = 1) -> str:
    """A session hosted by ``host``, known to every node of the week; its object id."""
    object_id = add_session(week, host, name, title=f"Atelier {name}",
                            start=week.start + timedelta(days=day, hours=2), capacity=capacity)
    for _ in range(2):
        week.sync_all()
    return object_id


def widen_pool(node: LiveNode) -> None:
    """More connections for ``node``'s pool than a deployed worker needs. The live node's
    server takes any number of requests at once (gunicorn takes workers x threads), and each
    committing request holds its connection while its after-commit work takes a second one:
    forty messages arriving at once would starve the default pool (5 + 10) for its 30-s
    timeout. Noted in issue 19's report; the scenarios test delivery, not pool sizing.
    (PostgreSQL's 100 connections are shared by every node and test: a smaller overflow.)"""
    overflow = 20 if node.database_url.startswith("postgresql") else 45
    factory = node.app.extensions[DB_KEY]
    old = factory.kw["bind"]
    factory.configure(bind=make_engine(node.database_url, pool_size=5, max_overflow=overflow))
    old.dispose()


@dataclass
class Person:
    """A member of one node, with their API token."""

    node: LiveNode
    member_id: int
    headers: dict[str, str]


def people(node: LiveNode, count: int, prefix: str = "m") -> list[Person]:
    found = []
    for i in range(count):
        member_id = add_member(node, f"{prefix}{i}@{node.name}.example", f"{prefix.title()} {i} {node.name}")
        found.append(Person(node, member_id, token(node, member_id)))
    return found


def registration_path(week: Week, node: LiveNode, object_id: str) -> str:
    return f"/api/v1/regional/sessions/{week.session_id_on(node, object_id)}/registration"


def act(person: Person, path: str, action: str) -> int:
    """``register`` or ``cancel`` through the member's node's API; the status code."""
    client = person.node.client()
    if action == "register":
        return client.post(path, headers=person.headers, json={}).status_code
    return client.delete(path, headers=person.headers).status_code


@contextmanager
def schedulers(nodes: Iterable[LiveNode], interval: float = 1.0) -> Iterator[None]:
    """Each node's scheduler (``coworknet sync``'s loop: rounds every ``interval`` seconds and
    the short loop of hinted pulls) on a thread of its own, for the ``with`` block."""
    stop = threading.Event()
    threads = [threading.Thread(target=scheduler.run_forever, args=(node.runtime, interval),
                                kwargs={"stop": stop}, name=f"scheduler-{node.name}", daemon=True)
               for node in nodes]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            # A round ends within its own timeouts; a scheduler that outlived its test would hold
            # a transaction on a database the next test empties (TRUNCATE waits on it for ever).
            thread.join(timeout=180)
        still = [thread.name for thread in threads if thread.is_alive()]
        if still:
            raise RuntimeError(f"schedulers still running after 180 s: {still}")


class Proxied:
    """``node`` moved behind a :class:`LossyProxy`: the proxy listens on the node's public port
    (its identity, which peers dial), the node on a port of its own."""

    def __init__(self, node: LiveNode, seed: int = 19) -> None:
        self.node = node
        node.stop()
        self._server = make_server("127.0.0.1", 0, node._dispatcher, threaded=True)  # noqa: SLF001
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.proxy = LossyProxy(node.port, self._server.server_port, seed=seed)

    def close(self) -> None:
        """The proxy goes, the node serves on its public port again."""
        self.proxy.close()
        self._server.shutdown()
        self._server.server_close()
        self.node.start()


# --- convergence -------------------------------------------------------------------------------

@dataclass
class Intent:
    """What a person last asked for a session: ``True`` to hold a place, ``False`` not to."""

    wants: dict[tuple[str, int, str], bool] = field(default_factory=dict)

    def note(self, person: Person, object_id: str, wants: bool) -> None:
        self.wants[(person.node.url, person.member_id, object_id)] = wants


def divergences(nodes: list[LiveNode], *, intent: Intent | None = None,
                allowed_dead: Iterable[str] = (), directory: bool = False) -> list[str]:
    """Everything on which the nodes disagree, or that was lost, duplicated or left dead; empty
    when they converged. Per cross-node registration, the member's node view (its
    ``RemoteRegistration``) against the host's row under the same key; every remote seat at a
    host against a member that holds it; the outbox of every node."""
    by_url = {node.url: node for node in nodes}
    problems: list[str] = []
    hosted: dict[tuple[str, str], tuple[str, int | None, int]] = {}
    for host in nodes:
        with host.session() as session:
            rows = session.scalars(select(Registration).where(Registration.registrant_kind == "remote")).all()
            keys = [row.idempotency_key for row in rows]
            if len(keys) != len(set(keys)):
                problems.append(f"{host.name}: two rows under one remote key")
            for row in rows:
                position = registrations.waitlist_position(session, row) if row.status == "waitlisted" else None
                hosted[(host.url, row.idempotency_key)] = (WIRE_STATUS.get(row.status, row.status), position,
                                                           row.occurrence_id)
    seen: set[tuple[str, str]] = set()
    for node in nodes:
        with node.session() as session:
            mine = session.scalars(select(RemoteRegistration).order_by(RemoteRegistration.id)).all()
            for row in mine:
                if row.host not in by_url:
                    continue
                key = (row.host, f"remote:{node.url}:{row.idempotency_key}")
                seen.add(key)
                at_host, host_position, _ = hosted.get(key, ("cancelled", None, 0))
                what = f"{node.name} member {row.member_id} at {by_url[row.host].name}"
                if row.status not in SETTLED:
                    problems.append(f"{what}: still {row.status} ({row.action}) while the host says {at_host}")
                    continue
                member_says = "cancelled" if row.status == "refused" else row.status
                if member_says != at_host:
                    problems.append(f"{what}: member's node says {row.status}, host holds {at_host}")
                elif at_host == "waitlisted" and row.position != host_position:
                    problems.append(f"{what}: told waitlist position {row.position}, holds {host_position}")
                if intent is not None:
                    wants = intent.wants.get((node.url, row.member_id, row.session_object_id))
                    if wants is not None and wants != (member_says in ("confirmed", "waitlisted")):
                        problems.append(f"{what}: asked {'a seat' if wants else 'none'}, ended {row.status}")
            dead = session.scalars(select(OutboxMessage).where(
                OutboxMessage.status == DELIVERY_DEAD,
                OutboxMessage.message_type.not_in(tuple(allowed_dead)))).all()
            problems += [f"{node.name}: dead {m.message_type} to {_name(by_url, m.destination)}: {m.last_error}"
                         for m in dead]
            waiting = session.scalars(select(OutboxMessage).where(
                OutboxMessage.status == DELIVERY_PENDING, OutboxMessage.message_type != "feed.hint")).all()
            problems += [f"{node.name}: {m.message_type} to {_name(by_url, m.destination)} not delivered yet "
                         f"({m.attempts} attempts, {m.last_error})" for m in waiting]
    for key, (status, _position, _occurrence) in hosted.items():
        if key not in seen and status in ("confirmed", "waitlisted"):
            problems.append(f"{by_url[key[0]].name}: holds {status} {key[1]} for no member of the network")
    if intent is not None:
        with_rows = set()
        for node in nodes:
            with node.session() as session:
                with_rows |= {(node.url, m, s) for m, s in session.execute(
                    select(RemoteRegistration.member_id, RemoteRegistration.session_object_id))}
        problems += [f"lost: no registration row for {who}" for who, wants in intent.wants.items()
                     if wants and who not in with_rows]
    if directory:
        problems += directory_divergences(nodes)
    return problems


def directory_divergences(nodes: list[LiveNode]) -> list[str]:
    """Per pair of nodes, the directory entries one exports to the other against the copies
    the other holds (the pulled directory converges: nothing missing, nothing stale)."""
    problems = []
    for owner in nodes:
        with owner.session() as session:
            exported = session.execute(select(DirectoryExport.peer_node_id, DirectoryExport.local_id)).all()
        for reader in nodes:
            if reader is owner:
                continue
            wanted = {make_object_id(owner.url, local_id) for peer, local_id in exported if peer == reader.url}
            with reader.session() as session:
                held = set(session.scalars(select(NetworkEntry.object_id).where(NetworkEntry.owner == owner.url)))
            if wanted != held:
                problems.append(f"directory of {owner.name} at {reader.name}: {len(wanted - held)} missing, "
                                f"{len(held - wanted)} stale")
    return problems


def _name(by_url: dict[str, LiveNode], url: str) -> str:
    return by_url[url].name if url in by_url else url


def converge(nodes: list[LiveNode], timeout: float, **options: Any) -> tuple[float | None, list[str]]:
    """Poll :func:`divergences` until it is empty: (seconds it took, []), or (None, what still
    differs after ``timeout`` seconds)."""
    started = time.monotonic()
    while True:
        problems = divergences(nodes, **options)
        if not problems:
            return time.monotonic() - started, []
        if time.monotonic() - started > timeout:
            return None, problems
        time.sleep(0.2)


def wait_converged(nodes: list[LiveNode], timeout: float, **options: Any) -> float:
    """Seconds until :func:`divergences` is empty (polled); fails with what still differs."""
    seconds, problems = converge(nodes, timeout, **options)
    if seconds is None:
        raise AssertionError(f"not converged after {timeout:.0f} s ({len(problems)} problems):\n  "
                             + "\n  ".join(problems[:40]))
    return seconds


def assert_converged(nodes: list[LiveNode], **options: Any) -> None:
    """Both sides of every cross-node registration agree, nothing lost, duplicated or dead."""
    problems = divergences(nodes, **options)
    assert not problems, f"{len(problems)} problems:\n  " + "\n  ".join(problems[:40])


def host_counts(host: LiveNode) -> dict[str, int]:
    """Remote registrations held at ``host`` by status."""
    with host.session() as session:
        statuses = session.scalars(select(Registration.status).where(Registration.registrant_kind == "remote")).all()
    return {status: statuses.count(status) for status in set(statuses)}


__all__ = ["FAULT_SETTINGS", "Intent", "Person", "Proxied", "act", "assert_converged", "build_week", "converge",
           "divergences", "host_counts", "host_session", "people", "registration_path", "schedulers",
           "wait_converged"]
