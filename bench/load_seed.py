"""The node ``python -m bench load`` serves: an instance folder written as ``coworknet init``
writes it, and a community seeded through the product's own operations.

Members sign up and fill their profiles (a trade, two to five skills of the thesaurus, languages,
each their own visibility); a manager publishes events over the next four months, a tenth of
them weekly or fortnightly series, in rooms or outside, with capacities that fill some of them
(a waitlist); members register; needs are posted on the board, answered, some closed; a few
hundred check-ins. The members the load generator signs in (the first ones) hold no
registration of their own, so their register-and-cancel rounds never collide with the seed's."""

from __future__ import annotations

import json
import random
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select, text

from node import create_app
from node.accounts import accounts
from node.cli import initialise_node, write_instance_config
from node.connector import needs
from node.db import db
from node.events import checkins, registrations
from node.events import events as event_ops
from node.events.models import EventOccurrence
from node.events.registrations import Registrant
from node.members import profiles

PARIS = ZoneInfo("Europe/Paris")
DATA = Path(__file__).resolve().parents[1] / "node" / "data"
PASSWORD = "load bench passphrase"  # noqa: S105 - the seeded members' password, on a throwaway node
#: Members the load generator signs in (browsers and API tokens).
SIGNED_IN = 160

FIRST = ("Camille", "Léa", "Hugo", "Manon", "Yanis", "Sofia", "Karim", "Inès", "Thomas", "Nadia",
         "Julien", "Sarah", "Rémi", "Anaïs", "Lucas", "Chloé", "Samir", "Emma", "Antoine", "Margaux",
         "Vincent", "Justine", "Florian", "Claire", "Pierre", "Émilie", "Théo", "Zoé", "Mehdi", "Lina")
LAST = ("Martin", "Bernard", "Dubois", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
        "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent",
        "Fournier", "Morel", "Girard", "André", "Mercier", "Dupont", "Lambert", "Bonnet", "François")
TITLES = {
    "atelier": ["Atelier : {s}", "Initiation : {s}", "Atelier pratique de {s}"],
    "formation": ["Formation : {s}", "Bien démarrer : {s}"],
    "conference": ["Conférence : {s} en 2027", "Retour d’expérience : {s}"],
    "debat": ["Débat : le futur de {s}"],
    "aperitif": ["Apéro des membres", "Apéro de quartier"],
    "cinq_a_sept": ["5 à 7 : {s}"],
    "soiree_jeux": ["Soirée jeux de société"],
    "degustation": ["Dégustation de vins de Provence"],
    "journee_coworking": ["Journée coworking pop-up"],
    "autre": ["Permanence {s}"],
}


@dataclass
class Plan:
    """What the load generator needs to know of the seeded node."""

    summary: str
    backend: str
    database_url: str
    password: str
    #: (member id, e-mail, API token) of the members the generator signs in.
    clients: list[tuple[int, str, str]]
    member_ids: list[int]
    event_ids: list[int]
    #: (occurrence id, event id) of upcoming occurrences open to registration.
    open_occurrences: list[tuple[int, int]]
    skill_words: list[str]


def _settings(url: str) -> dict:
    return {
        "SECRET_KEY": secrets.token_hex(32), "PSEUDONYM_SECRET": secrets.token_hex(32),
        "NODE_NAME": "La Coque Bleue", "NODE_CITY": "Marseille",
        "NODE_REGION": "Provence-Alpes-Côte d'Azur", "BASE_URL": "https://coworking.example.org",
        "DATABASE_URL": url, "FEDERATION_CONTACT_EMAIL": "contact@coworking.example.org",
        "MAIL_BACKEND": "file",
        # Sign-ins happen before the clock starts; a light Argon2 keeps the seeding short.
        "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 8192, "ARGON2_PARALLELISM": 1,
        "LOG_LEVEL": "WARNING",
    }


def seed(instance: Path, url: str, *, members: int, events: int, seed_value: int = 7) -> Plan:
    """Write the instance, bring its database to head, seed it; returns the plan."""
    write_instance_config(instance, _settings(url))
    app = create_app({"INSTANCE_PATH": str(instance)})
    initialise_node(app)
    rng = random.Random(seed_value)
    skills = json.loads((DATA / "skills.json").read_text(encoding="utf-8"))["concepts"]
    trades = json.loads((DATA / "trades.json").read_text(encoding="utf-8"))["trades"]
    hasher = app.extensions["coworknet.passwords"]
    now = datetime.now(UTC)
    with app.app_context():
        session = db.session
        manager = accounts.create_member(session, hasher, email="cm@coworking.example.org",
                                         display_name="Inès Manager", password=PASSWORD, role="manager")
        people = []
        for n in range(members):
            person = accounts.create_member(
                session, hasher, email=f"member{n}@example.org",
                display_name=f"{rng.choice(FIRST)} {rng.choice(LAST)}", password=PASSWORD)
            chosen = rng.sample(skills, rng.randint(2, 5))
            profiles.update_profile(session, person, {
                "headline": f"{chosen[0]['fr']} et {chosen[1]['fr'].lower()}",
                "bio": "Installé·e à l’espace depuis " + str(2020 + n % 6) + ".\n\nJ’aime **partager**.",
                "trade_id": rng.choice(trades)["id"],
                "skills": [{"label": c["fr"], "level": rng.choice(("debutant", "confirme", "expert"))}
                           for c in chosen],
                "languages": ["fr"] + (["en"] if n % 3 == 0 else []) + (["es"] if n % 7 == 0 else []),
                "open_to_help": n % 2 == 0, "open_to_paid": n % 3 == 0, "open_to_barter": n % 5 == 0,
                "visibility": ("space", "network_anonymous", "network_named")[n % 3],
            })
            people.append(person)
            if n % 50 == 49:
                session.commit()
        session.commit()
        signed_in = people[:min(SIGNED_IN, len(people) // 2)]
        registrants = people[len(signed_in):]
        clients = []
        for person in signed_in:
            _token, clear = accounts.create_api_token(session, person, "load bench")
            clients.append((person.id, person.email, clear))
        session.commit()

        rooms = [event_ops.create_venue(session, {"name": name, "kind": "room", "capacity": cap})
                 for name, cap in (("Grande salle", 40), ("Salle Calanques", 12), ("Salle Frioul", 8))]
        outside = event_ops.create_venue(session, {"name": "Médiathèque de l’Alcazar", "kind": "external",
                                                "address": "58 cours Belsunce, Marseille"})
        today = now.astimezone(PARIS).date()
        created = []
        for n in range(events):
            kind = rng.choice(list(TITLES))
            skill = rng.choice(skills)["fr"].lower()
            day = today + timedelta(days=1 + rng.randrange(120))
            start = datetime.combine(day, time(rng.choice((9, 10, 14, 18)), rng.choice((0, 30))), tzinfo=PARIS)
            spec = {
                "title": rng.choice(TITLES[kind]).format(s=skill), "type": kind,
                "audience": rng.choice(("space", "space", "network", "public")), "status": "published",
                "start_at": start, "end_at": start + timedelta(hours=rng.choice((1, 2, 3))),
                "capacity": rng.choice((None, 6, 10, 12, 20, 40)),
                "venue_id": rng.choice(rooms).id if n % 9 else outside.id,
                "host_ids": [rng.choice(people).id] if kind in ("atelier", "formation", "conference") else [],
                "description": f"Une rencontre autour de **{skill}**.\n\n- pour tous les niveaux\n- entrée libre",
            }
            if n % 10 == 0:  # a weekly or fortnightly series
                spec["rrule"] = f"FREQ=WEEKLY;INTERVAL={1 + n % 2};COUNT={rng.randint(6, 14)}"
            event = event_ops.create_event(session, manager, spec, now)
            created.append(event)
            for occurrence in event.occurrences[:3]:
                capacity = event.capacity or 15
                for person in rng.sample(registrants, min(len(registrants), rng.randint(0, capacity + 2))):
                    registrations.register(session, occurrence.id, Registrant.local(person), now, viewer=person)
            if n % 20 == 19:
                session.commit()
        session.commit()

        needs_count = max(4, members // 6)
        for n in range(needs_count):
            author = rng.choice(people)
            skill = rng.choice(skills)["fr"].lower()
            need = needs.create_need(session, author, text=f"Je cherche quelqu’un en {skill} pour un projet "
                                                           f"de {rng.choice(('site web', 'festival', 'boutique'))}",
                                     budget=rng.choice((None, 50000, 120000, 300000)))
            for helper in rng.sample(people, rng.randint(0, 3)):
                if helper.id != author.id:
                    needs.answer_need(session, need, helper, "Avec plaisir, passez me voir à mon bureau.")
            if n % 4 == 3:
                needs.close_need(session, need, author, "Trouvé grâce à l’espace, merci !")
        for person in rng.sample(people, min(40, len(people))):
            checkins.check_in(session, person, now - timedelta(hours=2), PARIS)
        session.commit()

        open_occurrences = [
            (o.id, o.event_id) for o in session.scalars(
                select(EventOccurrence).where(EventOccurrence.start_at > now + timedelta(days=1))
                .order_by(EventOccurrence.id))
        ]
        member_ids = [p.id for p in people]
        event_ids = [e.id for e in created]
        # The planner's statistics, as a node in service has them (autovacuum gathers them; a
        # database server may run with it off, as the one of this bench's machine does).
        session.execute(text("ANALYZE"))
        session.commit()
    db.engine(app).dispose()
    words = sorted({c["fr"].split()[0].lower() for c in skills if len(c["fr"]) > 4})
    summary = (f"{members} members, {events} events ({sum(1 for n in range(events) if n % 10 == 0)} series, "
               f"{len(open_occurrences)} upcoming dates), {needs_count} needs")
    backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    return Plan(summary=summary, backend=backend, database_url=url, password=PASSWORD, clients=clients, member_ids=member_ids,
                event_ids=event_ids, open_occurrences=open_occurrences, skill_words=rng.sample(words, 40))
