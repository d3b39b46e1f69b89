"""A small arranged world for the enumerated route tests (``test_enumerated_*``): a manager, an
event host, a plain member, and one real row behind every id a route takes, all arranged
through the public JSON API, plus helpers to enumerate the routes and count every table.

The world is module-scoped: the refused requests the tests send must leave it untouched, and
each test checks exactly that, so sharing it keeps the files fast without hiding a change."""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from node import create_app
from node.accounts import accounts
from node.clock import Clock
from node.db import db
from node.federation.keyring import RUNTIME_INFO_KEY
from node.models import Base, Member
from tests.conftest import MEMBER_PASSWORD, TEST_SETTINGS, PortalClient, _empty_all_tables

API = "/api/v1"
WRITE_METHODS = ("post", "put", "patch", "delete")
#: Ids only the federation creates (an answer of another space, an introduction asked across
#: the network): no row can be arranged through this node's API, so they name a missing row.
#: The body checks run before any lookup, so the answers stay about the body.
ABSENT_ID = 999_999
_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")


def documented_operations() -> list[dict[str, Any]]:
    """Every operation of the served OpenAPI document, read from an app with no database use."""
    app = create_app({**TEST_SETTINGS, "DATABASE_URL": "sqlite://",
                      "INSTANCE_PATH": tempfile.mkdtemp(prefix="coworknet-enumerated-")})
    document = app.test_client().get(f"{API}/openapi.json").json
    operations = []
    for path, items in document["paths"].items():
        for method, operation in items.items():
            operations.append({"path": path, "method": method, "document": document, **operation})
    return sorted(operations, key=lambda op: op["operationId"])


def body_schema(operation: dict) -> dict | None:
    """The declared JSON body schema of an operation (references resolved), or None."""
    body = operation.get("requestBody")
    if body is None:
        return None
    schema = body["content"]["application/json"]["schema"]
    name = schema["$ref"].rsplit("/", 1)[1]
    return operation["document"]["components"]["schemas"][name]


def row_counts(app) -> dict[str, int]:
    """The number of rows of every table, in one statement."""
    tables = Base.metadata.sorted_tables
    query = select(*[select(func.count()).select_from(t).scalar_subquery().label(t.name) for t in tables])
    with db.engine(app).connect() as conn:
        return dict(conn.execute(query).one()._mapping)


def concrete(rule: str, ids: dict[str, int]) -> str:
    """A URL rule (``<int:x>`` or ``{x}``) with the world's real ids filled in."""
    rule = re.sub(r"\{(\w+)\}", r"<\1>", rule)
    return _CONVERTER.sub(lambda m: str(ids[m[1]]), rule)


@dataclass
class World:
    app: Any
    clock: Clock  # the app's clock: the world's dates are relative to its now
    manager: dict[str, str]  # bearer headers
    host: dict[str, str]  # a member who hosts the event
    member: dict[str, str]  # a member registered to the event, no host
    emails: dict[str, str]
    ids: dict[str, int | str] = field(default_factory=dict)

    def client(self):
        return self.app.test_client()

    def portal(self, who: str) -> PortalClient:
        portal = PortalClient(self.app.test_client())
        assert portal.login(self.emails[who]).status_code == 302
        return portal


def _call(client, method: str, path: str, headers: dict, json=None, expect: int = 201) -> dict:
    response = client.open(API + path, method=method, headers=headers, json=json)
    assert response.status_code == expect, (method, path, response.status_code, response.json)
    return response.json


def _local(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat()


def arrange_world(database_url: str, instance: str) -> World:
    # Module-scoped, so its own clock (not the per-test ``clock`` fixture), shared with its app.
    clock = Clock()
    app = create_app({**TEST_SETTINGS, "DATABASE_URL": database_url, "INSTANCE_PATH": instance},
                     clock=clock)
    _empty_all_tables(app)
    people = {"manager": ("accueil@example.org", "manager"), "host": ("hote@example.org", "member"),
              "member": ("membre@example.org", "member")}
    headers, member_ids = {}, {}
    with db.new_session(app) as session:
        for who, (email, role) in people.items():
            row = accounts.create_member(session, app.extensions["coworknet.passwords"], email=email,
                                         display_name=who.title(), password=MEMBER_PASSWORD, role=role)
            session.flush()
            member_ids[who] = row.id
            _token, clear = accounts.create_api_token(session, row, "tests")
            headers[who] = {"Authorization": f"Bearer {clear}"}
        session.commit()
    world = World(app, clock, headers["manager"], headers["host"], headers["member"],
                  {who: email for who, (email, _role) in people.items()})
    client = app.test_client()
    start = clock.now() + timedelta(days=10)
    event = _call(client, "POST", "/admin/events", world.manager, {
        "title": "Atelier compta", "type": "atelier", "start_at": _local(start),
        "end_at": _local(start + timedelta(hours=2)), "capacity": 5, "status": "published",
        "audience": "space", "host_ids": [member_ids["host"]]})
    occurrence_id = event["occurrences"][0]["id"]
    registration = _call(client, "POST", f"/events/occurrences/{occurrence_id}/registration", world.member)
    need = _call(client, "POST", "/needs", world.member, {"text": "Je cherche un comptable"})
    _call(client, "POST", f"/needs/{need['id']}/answers", world.host, {"message": "Je connais quelqu'un"})
    referral = _call(client, "POST", "/referrals", world.host,
                     {"referee_id": member_ids["manager"], "need_id": need["id"]})
    item = _call(client, "POST", "/connector/introductions", world.member, {"text": "Une graphiste ?"})
    candidate = _call(client, "POST", f"/admin/connector/queue/{item['id']}/candidates", world.manager,
                      {"member_id": member_ids["host"]})
    proposal = _call(client, "POST", "/events/proposals", world.host, {
        "title": "Atelier Canva", "start_at": _local(start + timedelta(days=2)),
        "end_at": _local(start + timedelta(days=2, hours=2))})
    token = _call(client, "POST", "/me/tokens", world.member, {"name": "script"})
    regional = _call(client, "POST", "/regional", world.manager, {
        "title": "Semaine du coworking", "starts_at": _local(start), "ends_at": _local(start + timedelta(days=5))})
    session_row = _call(client, "POST", f"/regional/{regional['id']}/sessions", world.manager, {
        "title": "Apéro", "type": "aperitif", "start_at": _local(start + timedelta(days=1)),
        "end_at": _local(start + timedelta(days=1, hours=2))})
    # A free-text skill of the member, mapped by the manager (the undo route takes its tag).
    _call(client, "PATCH", "/me", world.member, {"skills": [{"label": "Kintsugi", "level": "expert"}]},
          expect=200)
    mapping = _call(client, "POST", "/admin/skills/mappings", world.manager,
                    {"tag": "Kintsugi", "concept_id": "ceramics"})
    world.ids.update(
        tag=mapping["tag"],
        event_id=event["id"], occurrence_id=occurrence_id, registration_id=registration["id"],
        need_id=need["id"], referral_id=referral["id"], item_id=item["id"], candidate_id=candidate["id"],
        proposal_id=proposal["id"], token_id=token["id"], member_id=member_ids["member"],
        regional_id=regional["id"], session_id=session_row["id"],
        answer_id=ABSENT_ID, intro_id=ABSENT_ID, notification_id=ABSENT_ID, message_id=ABSENT_ID,
        agreement_pk=ABSENT_ID, kiosk_id=ABSENT_ID,
        # Networks and join requests come from the federation (rosters): no API arranges them.
        network_pk=ABSENT_ID, request_id=ABSENT_ID,
    )
    return world


def dispose_world(world: World) -> None:
    world.app.extensions[RUNTIME_INFO_KEY].wait_for_background()
    _empty_all_tables(world.app)
    db.engine(world.app).dispose()


def member_row(app, email: str) -> Member:
    with db.new_session(app) as session:
        return session.scalars(select(Member).where(Member.email == email)).one()
