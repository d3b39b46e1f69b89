"""Multi-site operator on two live nodes: Marseille publishes its signed aggregates, Aix syncs,
Aix's manager marks Marseille as a sibling (pending), Marseille's manager sees the invitation and
confirms; each operator view then shows the other space's figures beside its own."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from node.accounts import accounts
from node.connector import ledger
from node.events import checkins
from node.models import FeedEntry, Member, PeerStats, SiblingNode
from tests.conftest import MEMBER_PASSWORD, PortalClient

PARIS = ZoneInfo("Europe/Paris")


def _manager(node, email: str) -> PortalClient:
    with node.session() as session:
        accounts.create_member(session, node.app.extensions["coworknet.passwords"], email=email,
                               display_name="Gérante", password=MEMBER_PASSWORD, role="manager")
        session.commit()
    portal = PortalClient(node.client())
    assert portal.login(email).status_code == 302
    return portal


def _seed_activity(node, now: datetime) -> None:
    """A regular (8 check-ins this month), a desk-only visitor, and a confirmed 1 800 € deal.

    "This month" is the month of ``now`` in UTC, as the node's figures count it: its first
    eight days, at 09:00 in Paris (the same day there)."""
    with node.session() as session:
        people = [accounts.create_member(session, node.app.extensions["coworknet.passwords"],
                                         email=f"{name.lower()}@marseille.example", display_name=name,
                                         password=MEMBER_PASSWORD) for name in ("Camille", "Julien", "Sofia")]
        first = datetime(now.year, now.month, 1, 9, 0, tzinfo=PARIS)
        for person, days in ((people[0], 8), (people[1], 2)):
            for offset in range(days):
                day = first + timedelta(days=offset)
                checkins.check_in(session, person, day, PARIS)
                checkins.check_out(session, person, day + timedelta(hours=8), PARIS)
        referral = ledger.create_referral(session, people[0], people[2], client="Boulangerie du Panier")
        ledger.acknowledge(session, referral, people[2])
        ledger.declare_value(session, referral, people[2], 180000)
        ledger.confirm_value(session, referral, people[0])
        session.commit()


def _row(page: str, node_id: str) -> list[str]:
    """The cells of one space's row in the side-by-side table (tags stripped)."""
    match = re.search(rf'<tr data-sibling="{re.escape(node_id)}">(.*?)</tr>', page, re.S)
    assert match, f"no row for {node_id}"
    cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", match.group(1), re.S)
    return [re.sub(r"<[^>]+>|\s+", " ", c).strip() for c in cells]


def _engagement(portal: PortalClient) -> str:
    return portal.get("/admin/connector/engagement").get_data(as_text=True)


def test_siblings_agree_through_signed_stats_and_show_each_others_figures(live_nodes, clock):
    marseille, aix = live_nodes(2, names=["marseille", "aix"])
    live_nodes.peer_all()
    marseille_cm = _manager(marseille, "cm@marseille.example")
    aix_cm = _manager(aix, "cm@aix.example")
    _seed_activity(marseille, clock.now())  # unpinned: the live nodes' system clock

    # Marseille publishes its signed aggregates; Aix pulls them.
    assert marseille_cm.post("/admin/connector/stats").status_code == 302
    assert all(r.error is None for r in aix.sync())
    with aix.session() as session:
        assert session.get(PeerStats, marseille.url).content["business_cents"] == 180000

    # Aix's manager marks Marseille: pending until Marseille's manager agrees; no figures yet.
    assert aix_cm.post("/admin/connector/siblings", {"node_id": marseille.url, "sibling": "on"}).status_code == 302
    page = _engagement(aix_cm)
    pending = _row(page, marseille.url)
    assert "en attente" in pending[1].lower() and "1 800" not in page.replace("\u202f", " ")

    # Marseille syncs Aix's republished aggregates: they name Marseille, an invitation to confirm.
    assert all(r.error is None for r in marseille.sync())
    page = _engagement(marseille_cm)
    assert f'data-invitation="{aix.url}"' in page and "Coworking Aix" in page
    assert 'data-sibling="' not in page  # Marseille has not agreed yet
    assert marseille_cm.post("/admin/connector/siblings", {"node_id": aix.url, "sibling": "on"}).status_code == 302
    page = _engagement(marseille_cm)
    assert "data-invitation=" not in page
    own = _row(page, "self")
    assert own[1:3] == ["4", "1"]  # four active members (with the manager), one regular
    assert own[-2].replace("\u202f", " ").replace("\xa0", " ") == "1 800,00 €"

    # Aix pulls Marseille's answer: Marseille's figures now show beside Aix's own, as Marseille sees them.
    assert all(r.error is None for r in aix.sync())
    page = _engagement(aix_cm)
    side = _row(page, marseille.url)
    assert side[0].startswith("Coworking Marseille") and side[1:-1] == own[1:-1]
    assert _row(page, "self")[0] == "Coworking Aix"
    # And Marseille sees Aix's figures (its manager alone) once it synced again.
    assert all(r.error is None for r in marseille.sync())
    assert _row(_engagement(marseille_cm), aix.url)[1:3] == ["1", "0"]

    # Nothing personal in the signed aggregates that travelled.
    with marseille.session() as session:
        published = [e.item_json for e in session.scalars(select(FeedEntry))]
        names = [m.display_name for m in session.scalars(select(Member))]
        emails = [m.email for m in session.scalars(select(Member))]
    stats = [json.loads(item) for item in published if '"peer.stats"' in item]
    assert stats and stats[-1]["content"]["siblings"] == [aix.url]
    for secret in [*names, *emails, "Boulangerie"]:
        assert all(secret not in item for item in published), secret

    # Aix's manager removes the sibling: Marseille's next sync shows it pending again.
    assert aix_cm.post("/admin/connector/siblings", {"node_id": marseille.url}).status_code == 302
    with aix.session() as session:
        assert session.scalar(select(SiblingNode)) is None
    assert all(r.error is None for r in marseille.sync())
    assert "en attente" in _row(_engagement(marseille_cm), aix.url)[1].lower()
