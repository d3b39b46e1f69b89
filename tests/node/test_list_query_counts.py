"""Every list page runs the same number of SQL statements whatever the number of rows it lists:
each page is counted on a small community, then again after the community grew (more members
with skills and languages, needs with answers, notifications, referrals, barter, check-ins),
and the count must not grow. (The agenda, event pages and check-ins are the events area's:
tests/events.)"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event as sa_event

from node.connector import barter, ledger, needs
from node.db import db
from node.events import checkins

MEMBER_PAGES = [
    "/", "/directory", "/directory?q=graphisme", "/directory?language=en", "/connector/needs",
    "/connector/needs?status=closed", "/notifications", "/connector/referrals", "/connector/barter",
    "/network?q=graphisme", "/network/introductions", "/connector/introductions", "/events/here",
    "/api/v1/members", "/api/v1/members?q=graphisme", "/api/v1/needs", "/api/v1/needs?status=closed",
    "/api/v1/me/notifications", "/api/v1/referrals", "/api/v1/me/barter",
]
MANAGER_PAGES = [
    "/", "/admin/members", "/admin/members?status=pending", "/admin/connector/engagement",
    "/admin/connector/queue", "/admin/connector/ledger", "/admin/connector/barter", "/admin/skills",
    "/admin/peers", "/admin/connector/digest", "/api/v1/admin/connector/queue",
    "/api/v1/admin/connector/engagement", "/api/v1/admin/connector/barter",
    "/api/v1/admin/skills/unmapped",
]


@contextmanager
def statements(app):
    """The SQL statements the app's engine sends inside the block (a list, filled as they go)."""
    sent: list[str] = []

    def remember(_conn, _cursor, statement, *_rest):
        sent.append(statement)

    engine = db.engine(app)
    sa_event.listen(engine, "before_cursor_execute", remember)
    try:
        yield sent
    finally:
        sa_event.remove(engine, "before_cursor_execute", remember)


@pytest.fixture
def community(session, create_member, clock):
    """Factory: ``grow(n)`` adds n members and, around them, needs, answers, notifications,
    referrals, barter entries and check-ins; returns the viewer and the manager."""
    manager = create_member("cm@example.org", display_name="Inès Manager", role="manager")
    viewer = create_member("lea@example.org", display_name="Léa Martin",
                           skills=[("graphisme", "expert")], languages=["fr", "en"])
    people = []

    def grow(count: int):
        now = clock.now()
        for _ in range(count):
            index = len(people)
            person = create_member(
                display_name=f"Personne {index}", skills=[("graphisme", "confirme"), ("comptabilité", "expert")],
                languages=["fr", "en"], headline="Graphiste", open_to_help=True,
                visibility=("space", "network_anonymous", "network_named")[index % 3])
            people.append(person)
            need = needs.create_need(session, person if index % 2 else viewer,
                                     text=f"Je cherche un graphiste pour le projet {index}", budget=50000)
            needs.answer_need(session, need, viewer if index % 2 else person, "Avec plaisir.")
            if index % 3 == 0:
                needs.close_need(session, need, need.author, "Trouvé, merci.")
            referral = ledger.create_referral(session, viewer, person, client=f"Client {index}")
            ledger.acknowledge(session, referral, person)
            barter.record_entry(session, manager, member=person, peer=None, direction="given", unit="day",
                                quantity=1 + index % 3, service="Photos", occurred_on=now.date() - timedelta(days=3))
            checkins.check_in(session, person, now - timedelta(hours=1), ZoneInfo("Europe/Paris"))
            session.commit()
        return viewer, manager

    return grow


def _count(app, client, member, pages: list[str], headers: dict) -> dict[str, int]:
    with client.session_transaction() as cookie:
        cookie["member_id"], cookie["sv"] = member.id, member.session_version
    counts = {}
    for page in pages:
        api = page.startswith("/api/")
        client.get(page, headers=headers if api else {})  # anything read once per process
        with statements(app) as sent:
            response = client.get(page, headers=headers if api else {})
        assert response.status_code == 200, (page, response.status_code)
        counts[page] = len(sent)
    return counts


@pytest.mark.parametrize("role", ["member", "manager"])
def test_list_pages_run_as_many_statements_for_3_or_18_people(app, client, community, api_token, role):
    viewer, manager = community(3)
    member = viewer if role == "member" else manager
    pages = MEMBER_PAGES if role == "member" else MANAGER_PAGES
    headers = api_token(member)
    small = _count(app, client, member, pages, headers)
    community(15)
    large = _count(app, client, member, pages, headers)
    grew = {page: (small[page], large[page]) for page in pages if large[page] > small[page]}
    assert not grew, f"statements per page (3 people, 18 people): {grew}"


def test_the_directory_without_words_still_sorts_every_name(client, community, create_member, api_token):
    """The page of names is cut after sorting all of them, not before."""
    viewer, _ = community(3)
    create_member(display_name="aaron Premier")  # lower case still sorts first
    headers = api_token(viewer)
    first = client.get("/api/v1/members?limit=2", headers=headers).get_json()
    assert [m["display_name"] for m in first["items"]] == ["aaron Premier", "Inès Manager"]
    assert first["total"] == 6
    second = client.get("/api/v1/members?limit=2&offset=4", headers=headers).get_json()
    assert [m["display_name"] for m in second["items"]] == ["Personne 1", "Personne 2"]
