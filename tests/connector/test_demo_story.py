"""Issue 7, "Done when": in the demo, a need posted at Marseille is escalated, answered from Aix,
turned into an introduction, then a referral with a confirmed value that shows in both spaces'
totals. The demo is built and served as ``make demo`` does (its seed and serve steps)."""

from __future__ import annotations

import json
import socket
import threading

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from node.db import db
from node.demo import SEED_FILE, SERVE_STEPS, build_nodes
from node.demo.connector import NEEDS, REFERRALS, STORY_NEED, NetworkStory
from node.federation import scheduler
from node.federation.keyring import RUNTIME_INFO_KEY
from node.models import Candidate, NetworkAnswer, QueueItem
from tests.conftest import PG_URL, PortalClient

STORY_CENTS = next(budget for _author, text, budget, _answers, _outcome in NEEDS["marseille"] if text == STORY_NEED)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def seeded_business(slug: str) -> int:
    """The confirmed business the demo seeds for a space, in cents."""
    return sum(cents for *_people, _target, cents, confirmed in REFERRALS[slug] if confirmed)


def euros(app, cents: int) -> str:
    """An amount as the French pages write it (the portal's own ``euros`` filter)."""
    with app.test_request_context():
        return app.jinja_env.filters["euros"](cents)


def manager_portal(node) -> PortalClient:
    portal = PortalClient(node.app.test_client())
    assert portal.login(node.spec["manager"]["email"], node.spec["manager"]["password"]).status_code == 302
    return portal


@pytest.mark.skipif(bool(PG_URL), reason="the demo runs on embedded SQLite only")
def test_demo_network_story_ends_in_a_deal_counted_by_both_spaces(tmp_path, monkeypatch):
    monkeypatch.setenv("COWORKNET_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("COWORKNET_ARGON2_MEMORY_COST", "16")
    # The first federation round of each node runs; the periodic rounds after it are not started.
    monkeypatch.setattr(scheduler, "run_forever", lambda runtime, interval: None)
    data = json.loads(SEED_FILE.read_text(encoding="utf-8"))
    for spec in data["spaces"]:
        spec["port"] = free_port()  # not the fixed demo ports: a running demo may hold them
    seed = tmp_path / "spaces.json"
    seed.write_text(json.dumps(data), encoding="utf-8")
    nodes, _data = build_nodes(tmp_path / "demo", seed_file=seed)
    marseille, aix = nodes[0], nodes[1]

    servers = [make_server("127.0.0.1", node.spec["port"], node.app, threaded=True) for node in nodes]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        started = [step(nodes) for step in SERVE_STEPS]
        [story] = [s for s in started if isinstance(s, NetworkStory)]
        for sync in next(s for s in started if isinstance(s, list)):
            sync.join(60)
        story.join(240)
        assert not story.is_alive(), "the network story did not finish"
        assert story.error is None, story.error

        # Marseille: the need went to the network, got its answer and is done.
        with marseille.app.app_context():
            item = db.session.scalar(select(QueueItem).where(QueueItem.need.has(text=STORY_NEED)))
            assert item.escalated_at is not None and item.state == "done"
            answer = db.session.scalar(select(NetworkAnswer).where(NetworkAnswer.item_id == item.id))
            assert answer is not None and answer.peer == aix.url
            item_id, answered_by = item.id, answer.display_name
        page = manager_portal(marseille).get(f"/admin/connector/queue/{item_id}").get_data(as_text=True)
        assert "paysagiste" in page and answered_by in page
        # Aix: the anonymised request was answered by a consenting member, whose deal is confirmed.
        with aix.app.app_context():
            remote = db.session.scalar(select(QueueItem).where(QueueItem.kind == "network"))
            assert remote.state == "done" and remote.origin_peer == marseille.url
            candidate = db.session.scalar(select(Candidate).where(Candidate.item_id == remote.id))
            assert candidate.deal_cents == STORY_CENTS and candidate.deal_confirmed_at is not None

        # The deal counts in both spaces' totals: Marseille's business, Aix's network deals.
        marseille_ledger = manager_portal(marseille).get("/admin/connector/ledger").get_data(as_text=True)
        assert euros(marseille.app, seeded_business("marseille") + STORY_CENTS) in marseille_ledger
        aix_ledger = manager_portal(aix).get("/admin/connector/ledger").get_data(as_text=True)
        assert euros(aix.app, seeded_business("aix")) in aix_ledger
        network_deals = aix_ledger.split("Affaires de nos membres avec d’autres espaces du réseau", 1)[1]
        assert network_deals.split("</p>", 1)[0].endswith(f"<strong>{euros(aix.app, STORY_CENTS)}</strong>")

        # Once Marseille pulls the figures published after the story, the network total counts
        # the deal once (in Marseille's business), with each space's signed aggregates.
        scheduler.run_round(marseille.app.extensions[RUNTIME_INFO_KEY], force=True)
        network = sum(seeded_business(node.slug) for node in nodes) + STORY_CENTS
        marseille_ledger = manager_portal(marseille).get("/admin/connector/ledger").get_data(as_text=True)
        assert f"<strong>{euros(marseille.app, network)}</strong>" in marseille_ledger
    finally:
        for server in servers:
            server.shutdown()
