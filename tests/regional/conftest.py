"""A Coworking Week across three real nodes on loopback (Aix organises, Bleau and Calanques
co-organise), each with its own database, talking the real federation protocol over HTTP."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from node.accounts import accounts
from node.federation import inbox
from node.federation.models import DELIVERY_PENDING
from node.models import Member, OutboxMessage
from tests.conftest import MEMBER_PASSWORD
from tests.livenodes import LiveNode, live_nodes  # noqa: F401


def week_start(now: datetime) -> datetime:
    """When the week starts: three days after ``now`` (the test's clock), at 07:00 UTC."""
    return (now + timedelta(days=3)).replace(hour=7, minute=0, second=0, microsecond=0)


def add_member(node: LiveNode, email: str, name: str, role: str = "member") -> int:
    with node.session() as session:
        member = accounts.create_member(session, node.app.extensions["coworknet.passwords"],
                                        email=email, display_name=name, password=MEMBER_PASSWORD,
                                        role=role)
        session.commit()
        return member.id


def token(node: LiveNode, member_id: int) -> dict[str, str]:
    with node.session() as session:
        _row, clear = accounts.create_api_token(session, session.get(Member, member_id), "tests")
        session.commit()
    return {"Authorization": f"Bearer {clear}"}


def pending_messages(node: LiveNode) -> int:
    with node.session() as session:
        # Feed hints ("changes available") are pokes retried by the rounds, not messages.
        return session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.status == DELIVERY_PENDING, OutboxMessage.message_type != "feed.hint"))


def wait_delivered(*nodes: LiveNode, timeout: float = 15.0) -> None:
    """Wait until the messages queued with ``deliver_now`` left every node (sent after commit
    by a thread, and the answers they trigger). These nodes run no scheduler: a message whose
    first attempt met a transient refusal (``busy``) is retried here once its backoff is over,
    every second, as the scheduler's delivery pass would."""
    deadline = time.monotonic() + timeout
    retry_at = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        if all(pending_messages(node) == 0 for node in nodes):
            time.sleep(0.05)
            if all(pending_messages(node) == 0 for node in nodes):
                return
        if time.monotonic() >= retry_at:
            for node in nodes:
                if node.runtime.wait_for_background(timeout=0) and pending_messages(node):
                    inbox.deliver_due(node.runtime)
            retry_at = time.monotonic() + 1.0
        time.sleep(0.05)
    raise AssertionError("messages still pending: " + str([pending_messages(n) for n in nodes]))


def call(node: LiveNode, method: str, path: str, headers: dict, json=None, expect: int | None = 200):
    response = node.client().open("/api/v1" + path, method=method, headers=headers, json=json)
    if expect is not None:
        assert response.status_code == expect, (path, response.status_code, response.json)
    return response


def local(moment: datetime) -> str:
    """A UTC moment as the naive wall-clock time the API expects (Europe/Paris)."""
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo("Europe/Paris")).replace(tzinfo=None).isoformat(timespec="minutes")


@dataclass
class Week:
    """The three nodes, their managers' and members' tokens, the regional event and sessions."""

    nodes: list[LiveNode]
    managers: list[dict]
    start: datetime  # when the week starts (the first session is two hours later)
    regional_ids: list[int] = field(default_factory=list)  # the event's local id on each node
    sessions: dict[str, str] = field(default_factory=dict)  # name -> global session id

    def sync_all(self) -> None:
        for node in self.nodes:
            node.sync()

    def session_id_on(self, node: LiveNode, object_id: str) -> int:
        response = call(node, "GET", f"/regional/{self.regional_on(node)}/program", self.managers[0]
                        if node is self.nodes[0] else self.managers[self.nodes.index(node)])
        return next(s["id"] for s in response.json["sessions"] if s["object_id"] == object_id)

    def regional_on(self, node: LiveNode) -> int:
        return self.regional_ids[self.nodes.index(node)]

    def program(self, node: LiveNode, **query) -> list[dict]:
        headers = self.managers[self.nodes.index(node)]
        response = node.client().get(f"/api/v1/regional/{self.regional_on(node)}/program",
                                     headers=headers, query_string=query)
        assert response.status_code == 200, response.json
        return response.json["sessions"]


def add_session(week: Week, node: LiveNode, name: str, *, title: str, start: datetime,
                capacity: int | None = 10, type_: str = "atelier") -> str:
    body = {"title": title, "type": type_, "start_at": local(start),
            "end_at": local(start + timedelta(hours=2)), "capacity": capacity}
    response = call(node, "POST", f"/regional/{week.regional_on(node)}/sessions",
                    week.managers[week.nodes.index(node)], body, expect=201)
    week.sessions[name] = response.json["object_id"]
    return response.json["object_id"]


@pytest.fixture
def week(live_nodes, clock) -> Week:  # noqa: F811
    # Unpinned, the test's clock is the system clock, which the live nodes read too.
    start = week_start(clock.now())
    nodes = [live_nodes.add(name) for name in ("aix", "bleau", "calanques")]
    live_nodes.peer_all()
    managers = [token(node, add_member(node, f"manager@{node.name}.example", f"Manager {node.name}",
                                       role="manager")) for node in nodes]
    aix, bleau, calanques = nodes
    created = call(aix, "POST", "/regional", managers[0], {
        "title": "Semaine du coworking", "region": "Provence", "visibility": "public",
        "description": "Une semaine d'ateliers dans tous les espaces.",
        "starts_at": local(start), "ends_at": local(start + timedelta(days=5))}, expect=201)
    object_id = created.json["object_id"]
    call(aix, "POST", f"/regional/{created.json['id']}/invitations", managers[0],
         {"node_ids": [bleau.url, calanques.url]})
    wait_delivered(aix)
    ids = [created.json["id"]]
    for node, headers in zip(nodes[1:], managers[1:], strict=True):
        listed = call(node, "GET", "/regional", headers).json
        invited = next(r for r in listed if r["object_id"] == object_id)
        assert [p["status"] for p in invited["participants"]] == ["invited"]
        call(node, "POST", f"/regional/{invited['id']}/answer", headers, {"decision": "accepted"})
        ids.append(invited["id"])
    wait_delivered(bleau, calanques)
    result = Week(nodes, managers, start, ids)
    add_session(result, aix, "aix", title="Atelier compta", start=start + timedelta(hours=2))
    add_session(result, bleau, "bleau", title="Meetup freelances", start=start + timedelta(days=1, hours=2),
                type_="journee_coworking")
    add_session(result, calanques, "calanques", title="Apéro des calanques",
                start=start + timedelta(days=2, hours=9), capacity=1, type_="aperitif")
    result.sync_all()
    return result
