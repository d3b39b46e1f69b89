"""Demo data of the community connector, and the network story played once the nodes serve.

Seed step (``seed_connector``): per space, needs with answers and an outcome, referrals with
confirmed deals in euros (12 500,00 € at La Coque Bleue), barter entries with a member and
with another space, three months of desk check-ins that give every segment, the membership
goal. Serve step (``play_network_story``): a need of Marseille is escalated to the network,
answered from Aix by a consenting member, recorded as a referral whose value Aix's member
confirms; both spaces then publish their aggregates."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from ..connector import barter, connector, engagement, ledger, needs
from ..connector import network as connector_network
from ..connector.models import Candidate, Need, NetworkAnswer, QueueItem, Referral
from ..db import db
from ..events import checkins
from ..members.models import Member
from .base import DemoNode

logger = logging.getLogger(__name__)

PARIS = ZoneInfo("Europe/Paris")
STORY_NEED = "Je cherche un ou une paysagiste pour végétaliser la terrasse de l'espace"
STORY_TIMEOUT = 90.0

#: Per space: needs (author, text, budget in cents, answering members, outcome or None).
NEEDS = {
    "marseille": [
        ("Hugo B.", "Je cherche un traducteur anglais-français pour la documentation de mon application",
         120000, ["Camille R.", "Sofia F."], "Camille traduit la documentation, livraison fin du mois."),
        ("Manon A.", "Besoin d'un photographe pour le festival de quartier en juin", 80000, ["Sarah L."], None),
        ("Anaïs R.", "Qui peut m'aider à tenir la comptabilité de notre association ?", None, ["Nadia B."], None),
        ("Rémi C.", STORY_NEED, 240000, [], None),
    ],
    "aix": [
        ("Clément D.", "Je cherche un développeur web pour refaire le site de l'agence", 300000,
         ["Vincent L."], "Vincent refait le site, mise en ligne en septembre."),
        ("Justine B.", "Un photographe pour des photos de produits, une demi-journée", 50000, ["Florian M."], None),
    ],
    "fontainebleau": [
        ("Pierre L.", "Je cherche un expert-comptable pour mon atelier", None, ["Thibault R."], None),
    ],
}

#: Per space: referrals (referrer, referee, client or need index, value in cents, confirmed).
REFERRALS = {
    "marseille": [
        ("Julien F.", "Antoine M.", "Boulangerie Le Fournil", 180000, True),
        ("Karim H.", "Sarah L.", 1, 75000, True),
        ("Yanis M.", "Hugo B.", "Mairie du 2e secteur", 995000, True),
        ("Margaux L.", "Camille R.", 0, 120000, False),
        ("Émilie F.", "Thomas G.", "Épicerie Les Goudes", None, False),
    ],
    "aix": [("Samir C.", "Vincent L.", 0, 300000, True)],
    "fontainebleau": [("Claire M.", "Thibault R.", "Scierie du Gâtinais", 60000, True)],
}


def _months_ago(today: date, months: int) -> date:
    year, month = today.year, today.month - months
    while month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1)


def _at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=PARIS).astimezone(UTC)


def _seed_checkins(session, members: list[Member], today: date) -> None:
    """Three months of desk use: regulars, tenants (desk only), occasional visitors, dormant."""
    pattern = [10] * 8 + [9] * 4 + [2] * 4  # the rest never comes
    for months_back in (2, 1, 0):
        first = _months_ago(today, months_back)
        for person, days in zip(members, pattern, strict=False):
            for offset in range(days):
                day = first + timedelta(days=offset * 2)
                if day >= today or day.month != first.month:
                    break
                checkins.check_in(session, person, _at(day, 9), PARIS)
                checkins.check_out(session, person, _at(day, 18), PARIS)


def _seed_space(node: DemoNode) -> None:
    session = db.session
    by_name = {m.display_name: m for m in session.scalars(select(Member))}
    manager = by_name[node.spec["manager"]["display_name"]]
    members = [by_name[p["display_name"]] for p in node.spec["members"]]
    today = datetime.now(UTC).date()
    for person in [manager, *members]:  # the demo community exists since last year
        person.created_at = min(person.created_at, _at(today - timedelta(days=400)))
    created = []
    for index, (author, text, budget, answerers, outcome) in enumerate(NEEDS.get(node.slug, [])):
        need = needs.create_need(session, by_name[author], text=text, budget=budget)
        need.created_at = _at(today - timedelta(days=4 + 11 * index))
        connector_item = session.scalar(select(QueueItem).where(QueueItem.need_id == need.id))
        connector_item.created_at = need.created_at
        for position, name in enumerate(answerers):
            answer = needs.answer_need(session, need, by_name[name], "Avec plaisir, passez me voir à mon bureau.")
            answer.created_at = need.created_at + timedelta(hours=5 + position * 20)
            connector_item.first_response_at = min(connector_item.first_response_at, answer.created_at)
        if outcome:
            needs.close_need(session, need, by_name[author], outcome)
            need.closed_at = connector_item.resolved_at = need.created_at + timedelta(days=6)
        created.append(need)
    for index, (referrer, referee, target, cents, confirmed) in enumerate(REFERRALS.get(node.slug, [])):
        need = created[target] if isinstance(target, int) else None
        referral = ledger.create_referral(session, by_name[referrer], by_name[referee], need=need,
                                          client="" if need else target)
        referral.created_at = _at(today - timedelta(days=2 + 9 * index))
        if cents is None:
            continue
        ledger.acknowledge(session, referral, referral.referee)
        ledger.declare_value(session, referral, referral.referee, cents)
        if confirmed:
            ledger.confirm_value(session, referral, session.get(Member, ledger.deal_parties(referral)[1]))
    connector.ask_introduction(session, members[-1], "Je voudrais rencontrer des membres qui font de la vidéo")
    first, second = members[3], members[8]
    barter.record_entry(session, manager, member=first, peer=None, direction="given", unit="pass",
                        quantity=10, service="Charte graphique de l'espace", occurred_on=today - timedelta(days=50))
    barter.record_entry(session, manager, member=first, peer=None, direction="received", unit="pass",
                        quantity=4, service="Pass utilisés", occurred_on=today - timedelta(days=12))
    barter.record_entry(session, manager, member=second, peer=None, direction="given", unit="day",
                        quantity=5, service="Photos du site web", occurred_on=today - timedelta(days=30))
    _seed_checkins(session, members, today)
    engagement.update_goal(session, goal_members=100, goal_regulars=60, regular_checkins=8)


def seed_connector(nodes: list[DemoNode], _data: dict) -> None:
    """Seed step: needs, referrals, barter, check-ins and the goal, once per space."""
    urls = {node.slug: node.url for node in nodes}
    for node in nodes:
        with node.app.app_context():
            session = db.session
            if session.scalar(select(func.count()).select_from(Need)):
                continue
            _seed_space(node)
            manager = session.scalar(select(Member).where(Member.role == "manager"))
            for other, direction, days in (("aix", "given", 3), ("fontainebleau", "received", 2)):
                if other in urls and other != node.slug:
                    barter.record_entry(session, manager, member=None, peer=urls[other], direction=direction,
                                        unit="day", quantity=days, service="Journées de membres en visite",
                                        occurred_on=datetime.now(UTC).date() - timedelta(days=20))
            session.commit()
            logger.info("demo connector data seeded for %s", node.slug)


def _wait(node: DemoNode, check: Callable, what: str):
    deadline = time.monotonic() + STORY_TIMEOUT
    while time.monotonic() < deadline:
        with node.app.app_context():
            result = check(db.session)
            if result is not None:
                return result
        time.sleep(0.5)
    raise TimeoutError(what)


def _manager(session) -> Member:
    return session.scalar(select(Member).where(Member.role == "manager").order_by(Member.id))


def _story(origin: DemoNode, answering: DemoNode) -> None:
    with origin.app.app_context():
        session = db.session
        need = session.scalar(select(Need).where(Need.text == STORY_NEED))
        item = session.scalar(select(QueueItem).where(QueueItem.need_id == need.id)) if need else None
        if item is None or item.escalated_at is not None:
            return  # not seeded here, or already played
        connector_network.escalate(session, item, "Un membre cherche un ou une paysagiste pour une terrasse.",
                                   space_name=origin.spec["name"])
        session.commit()
        item_id, author_id = item.id, need.author_id
    remote_id = _wait(answering, lambda s: s.scalar(select(QueueItem.id).where(QueueItem.kind == "network")),
                      "escalated request")
    with answering.app.app_context():
        session = db.session
        remote = session.get(QueueItem, remote_id)
        person = connector.suggestions(session, remote)[0]
        candidate = connector.propose_candidate(session, remote, person)
        result = connector.decide_consent(session, candidate, person, "accepted",
                                          "Bonjour, je serais ravie de voir cette terrasse.")
        connector_network.send_response(session, result)
        session.commit()
        candidate_id, person_id = candidate.id, person.id
    answer_id = _wait(origin, lambda s: s.scalar(select(NetworkAnswer.id)), "consenting answer")
    with origin.app.app_context():
        session = db.session
        item = session.get(QueueItem, item_id)
        connector.set_state(session, item, "introduced")
        referral = ledger.create_network_referral(session, _manager(session), session.get(NetworkAnswer, answer_id))
        ledger.declare_value(session, referral, session.get(Member, author_id), 240000)
        connector_network.send_deal_declaration(session, referral)
        session.commit()
        referral_id = referral.id
    _wait(answering, lambda s: s.scalar(select(Candidate.id).where(
        Candidate.id == candidate_id, Candidate.deal_cents.is_not(None))), "deal declaration")
    with answering.app.app_context():
        session = db.session
        candidate = session.get(Candidate, candidate_id)
        content = connector.confirm_deal(session, candidate, session.get(Member, person_id),
                                         connector_network.node_id(session))
        connector_network.send_deal_confirmation(session, candidate, content)
        connector.set_state(session, candidate.item, "done")
        session.commit()
    _wait(origin, lambda s: s.scalar(select(Referral.id).where(
        Referral.id == referral_id, Referral.value_confirmed_at.is_not(None))), "deal confirmation")
    with origin.app.app_context():
        connector.set_state(db.session, db.session.get(QueueItem, item_id), "done")
        db.session.commit()
    logger.info("demo network story played: escalated, answered, introduced, deal confirmed")


class NetworkStory(threading.Thread):
    """The network story played in the background; ``error`` tells why it did not finish
    (logged at error level too), None once played (or when there is nothing to play)."""

    def __init__(self, nodes: list[DemoNode]):
        super().__init__(name="demo-network-story", daemon=True)
        self.nodes = nodes
        self.error: str | None = None

    def run(self) -> None:
        by_slug = {node.slug: node for node in self.nodes}
        try:
            _story(by_slug["marseille"], by_slug["aix"])
        except Exception as exc:
            self.error = f"{type(exc).__name__}: {exc}"
            logger.exception("the demo network story did not finish")
        for node in self.nodes:
            try:
                with node.app.app_context():
                    connector_network.publish_stats(db.session)
                    db.session.commit()
            except Exception as exc:
                self.error = self.error or f"publishing the figures of {node.slug}: {type(exc).__name__}: {exc}"
                logger.exception("the demo could not publish the figures of %s", node.slug)


def play_network_story(nodes: list[DemoNode]) -> NetworkStory | None:
    """Serve step: play the network story in the background, then publish every space's
    aggregates (they are published again by ``coworknet connector publish-stats``)."""
    slugs = {node.slug for node in nodes}
    if "marseille" not in slugs or "aix" not in slugs:
        return None
    story = NetworkStory(nodes)
    story.start()
    return story
