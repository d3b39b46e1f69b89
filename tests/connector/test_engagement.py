"""Engagement: segments from constructed histories, trend, goal, SVG charts and CSV."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta

from node.connector import engagement, ledger, needs
from node.models import (
    CheckIn,
    ConnectorSettings,
    Event,
    EventOccurrence,
    NeedAnswer,
    Referral,
    Registration,
)
from tests.conftest import count_rows

SVG = "{http://www.w3.org/2000/svg}"
MARCH = date(2026, 3, 1)


def _at(day: int, month: int = 3) -> datetime:
    return datetime(2026, month, day, 10, tzinfo=UTC)


def _checkins(session, member, days: int, month: int = 3) -> None:
    for day in range(1, days + 1):
        session.add(CheckIn(member_id=member.id, day=date(2026, month, day), period="day",
                            checked_in_at=_at(day, month)))


def _attended(session, member, when: datetime) -> None:
    event = Event(uid=f"e{when.timestamp()}", title="Apéro", status="published", start_at=when,
                  end_at=when + timedelta(hours=2))
    occurrence = EventOccurrence(event=event, original_start_at=when, start_at=when,
                                 end_at=when + timedelta(hours=2))
    session.add(Registration(occurrence=occurrence, event=event, member_id=member.id,
                             display_name=member.display_name, idempotency_key=f"k{member.id}{when}",
                             status="confirmed", attendance="present"))


def test_segment_rules():
    assert engagement.segment_of(community=2, checkins=0) == "engaged"
    assert engagement.segment_of(community=5, checkins=20) == "engaged"
    assert engagement.segment_of(community=0, checkins=4) == "tenant"
    assert engagement.segment_of(community=0, checkins=0) == "dormant"
    assert engagement.segment_of(community=1, checkins=10) == "occasional"
    assert engagement.segment_of(community=0, checkins=3) == "occasional"


def test_a_seeded_month_gives_the_documented_segments(session, create_member):
    old = datetime(2025, 1, 1, tzinfo=UTC)
    people = {name: create_member(f"{name}@example.org", display_name=name.title()) for name in
              ("helper", "connector", "tenant", "visitor", "sleeper")}
    create_member("cm@example.org", role="manager")
    for member in people.values():
        member.created_at = old
    session.commit()
    author = people["visitor"]
    need = needs.create_need(session, author, text="Besoin d'un photographe", today=date(2026, 3, 1))
    need.created_at = _at(2)
    for day in (3, 4):
        session.add(NeedAnswer(need=need, member=people["helper"], message="oui", created_at=_at(day)))
    referral = ledger.create_referral(session, people["connector"], people["helper"], client="Client")
    referral.created_at = _at(5)
    # an answer in February must not count in March
    session.add(NeedAnswer(need=need, member=people["tenant"], message="vieux", created_at=_at(20, 2)))
    _checkins(session, people["tenant"], 12)
    _checkins(session, people["visitor"], 2)
    _checkins(session, people["connector"], 9)
    _checkins(session, people["sleeper"], 5, month=1)  # came in January only
    _attended(session, people["visitor"], _at(10, 2))  # an event in February
    session.commit()

    board = engagement.dashboard(session, MARCH, months=3)
    by_name = {row.display_name: row for row in board.rows}
    assert "Cm" not in " ".join(by_name)  # managers are staff, not members
    assert by_name["Helper"].segment == "engaged"  # two answers + one referral received
    assert by_name["Helper"].score == 2 * 4 + 5
    assert by_name["Connector"].score == 5 + 9
    assert by_name["Connector"].segment == "occasional"  # one referral, nine check-ins
    assert by_name["Tenant"].segment == "tenant"  # desk only in March
    assert by_name["Visitor"].segment == "occasional"  # two check-ins
    assert by_name["Sleeper"].segment == "dormant"
    assert board.segments == {"engaged": 1, "occasional": 2, "tenant": 1, "dormant": 1}
    assert board.regulars == 2  # ≥ 8 check-ins: tenant and connector
    assert [m for m, _c in board.trend] == [date(2026, 1, 1), date(2026, 2, 1), MARCH]
    january, february = board.trend[0][1], board.trend[1][1]
    assert january["tenant"] == 1  # the sleeper used the desk in January
    assert february["occasional"] == 2  # the tenant's answer, the visitor's event
    assert february["dormant"] == 3

    engagement.update_goal(session, goal_members=100, goal_regulars=60, regular_checkins=10)
    session.commit()
    assert engagement.dashboard(session, MARCH, months=1).regulars == 1


def test_dashboard_page_svg_and_csv(portal, session, create_member, client, api_token, clock):
    manager = create_member("cm@example.org", role="manager")
    member = create_member("ana@example.org", display_name="Ana & <Co>")
    other = create_member("ben@example.org", display_name="Ben")
    ledger.create_referral(session, member, other, client="x")
    session.commit()
    portal.login("ana@example.org")
    assert portal.get("/admin/connector/engagement").status_code == 403
    portal.post("/logout")
    portal.login("cm@example.org")
    page = portal.get("/admin/connector/engagement").get_data(as_text=True)
    svgs = [page[i:page.index("</svg>", i) + 6] for i in range(len(page)) if page.startswith("<svg", i)]
    assert len(svgs) == 2
    for svg in svgs:
        root = ET.fromstring(svg)  # noqa: S314 - our own output, checked to be well-formed XML
        assert root.tag == f"{SVG}svg" and root.get("role") == "img"
        labelled = root.get("aria-labelledby").split()
        assert root.find(f"{SVG}title").get("id") == labelled[0]
        assert root.find(f"{SVG}desc").get("id") == labelled[1]
    assert "<table" in page and "<caption>" in page  # text alternative
    # Drawn by the server: no CDN, no script but the menu's (which only folds the menu on a phone).
    assert "cdn" not in page.lower()
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/menu.js" defer>']

    month = clock.now().strftime("%Y-%m")  # the month the page shows by default (UTC)
    exported = portal.get(f"/admin/connector/engagement.csv?month={month}")
    assert exported.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert {r["display_name"] for r in rows} == {"Ana & <Co>", "Ben"}
    assert {r["referrals"] for r in rows} == {"1"}
    refused = portal.get("/admin/connector/engagement?month=2026-13")  # set aside, said: this month's page
    assert refused.status_code == 200 and "n’a pas été comprise" in refused.get_data(as_text=True)

    api = client.get("/api/v1/admin/connector/engagement", headers=api_token(manager)).json
    assert api["segments"]["occasional"] == 2 and len(api["trend"]) == 6


def test_goal_settings_are_validated(portal, session, create_member):
    create_member("cm@example.org", role="manager")
    portal.login("cm@example.org")
    assert portal.post("/admin/connector/goal", {"goal_members": "100", "goal_regulars": "60",
                                                 "regular_checkins": "8"}).status_code == 302
    before = session.query(ConnectorSettings).one()
    assert (before.goal_members, before.goal_regulars, before.regular_checkins) == (100, 60, 8)
    for bad in ({"goal_members": "0", "goal_regulars": "1", "regular_checkins": "8"},
                {"goal_members": "100", "goal_regulars": "60", "regular_checkins": "40"},
                {"goal_members": "cent", "goal_regulars": "60", "regular_checkins": "8"}):
        assert portal.post("/admin/connector/goal", bad).status_code == 422
    session.expire_all()
    after = session.query(ConnectorSettings).one()
    assert (after.goal_members, after.goal_regulars, after.regular_checkins) == (100, 60, 8)
    assert count_rows(session, Referral) == 0
