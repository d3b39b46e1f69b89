"""Demo seed step of the events area: a realistic program for each demo space.

An apéro, workshops hosted by members, a training, a game night, a weekly pop-up coworking day
at rotating venues, registrations, and a full workshop with a waitlist: a demo member can
register, land on the waitlist and be promoted when someone cancels."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from ..db import db
from ..events import checkins, events, registrations
from ..events.models import Event
from ..events.registrations import Registrant
from ..members.models import Member
from .base import DemoNode

logger = logging.getLogger(__name__)
PARIS = ZoneInfo("Europe/Paris")

ROOMS = {
    "marseille": [("Grande salle", 40), ("Salle Calanques", 12)],
    "aix": [("La Verrière", 35), ("Salle Sainte-Victoire", 10)],
    "fontainebleau": [("La Grange", 45), ("Salle des Grès", 12)],
}
POPUP_VENUES = {
    "marseille": [("Médiathèque de l’Alcazar", "58 cours Belsunce, Marseille"),
                  ("Café associatif La Friche", "41 rue Jobin, Marseille"),
                  ("Tiers-lieu du Panier", "12 rue du Panier, Marseille")],
    "aix": [("Bibliothèque Méjanes", "8-10 rue des Allumettes, Aix-en-Provence"),
            ("La Maison des associations", "Le Ligourès, Aix-en-Provence"),
            ("Café des Platanes", "3 place Richelme, Aix-en-Provence")],
    "fontainebleau": [("Mairie annexe d’Avon", "Avon"), ("Salle des fêtes de Samois", "Samois-sur-Seine"),
                      ("Le Bistrot de Barbizon", "Barbizon"), ("Médiathèque de Moret", "Moret-sur-Loing")],
}


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS)


def _next(weekday: int, weeks_ahead: int, today: date) -> date:
    """The ``weekday`` (0 = Monday) of the week ``weeks_ahead`` weeks from now."""
    return today + timedelta(days=(weekday - today.weekday()) % 7 + 7 * weeks_ahead)


def _program(slug: str, city: str, members: list[Member], rooms: list, today: date) -> list[dict]:
    big, small = rooms[0].id, rooms[1].id
    host_a, host_b = members[0], members[1]
    return [
        {"title": f"Apéro de rentrée de {city}", "type": "aperitif", "audience": "network",
         "start_at": _at(_next(3, 1, today), 18, 30), "end_at": _at(_next(3, 1, today), 21, 0),
         "venue_id": big, "capacity": 40, "price_info": "Chacun apporte quelque chose à partager",
         "description": "On se retrouve **autour d’un verre** pour fêter la rentrée.\n\n"
                        "- présentations des nouveaux membres\n- planning des ateliers du trimestre"},
        {"title": f"Atelier\u00a0: {host_a.headline or 'partage de savoir-faire'}", "type": "atelier",
         "audience": "space", "start_at": _at(_next(1, 1, today), 14, 0), "end_at": _at(_next(1, 1, today), 16, 0),
         "venue_id": small, "capacity": 3, "host_ids": [host_a.id], "price_info": "Gratuit pour les membres",
         "description": f"Un atelier animé par {host_a.display_name}, membre de l’espace. Places limitées."},
        {"title": f"Atelier animé par {host_b.display_name}", "type": "atelier", "audience": "network",
         "start_at": _at(_next(4, 2, today), 10, 0), "end_at": _at(_next(4, 2, today), 12, 0),
         "venue_id": small, "capacity": 10, "host_ids": [host_b.id],
         "description": f"{host_b.display_name} partage ses méthodes et ses outils."},
        {"title": "Formation\u00a0: bien démarrer sa facturation", "type": "formation", "audience": "public",
         "start_at": _at(_next(2, 2, today), 9, 30), "end_at": _at(_next(2, 2, today), 12, 30),
         "venue_id": small, "capacity": 12, "price_info": "30 € (gratuit pour les membres)",
         "description": "Devis, factures, mentions obligatoires, relances\u00a0: une matinée pour tout poser."},
        {"title": "Soirée jeux de société", "type": "soiree_jeux", "audience": "space",
         "start_at": _at(_next(4, 1, today), 19, 0), "end_at": _at(_next(4, 1, today), 23, 0),
         "venue_id": big, "capacity": None, "description": "Apportez vos jeux préférés\u202f!"},
        {"title": f"Journée coworking pop-up ({city} et alentours)", "type": "journee_coworking",
         "audience": "public", "start_at": _at(_next(1, 1, today), 9, 0), "end_at": _at(_next(1, 1, today), 17, 30),
         "rrule": "FREQ=WEEKLY;BYDAY=TU;COUNT=12", "capacity": 15, "rotation": True,
         "description": "Chaque mardi, l’espace s’installe ailleurs\u00a0: wifi, café et bonne humeur."},
    ]


def seed_events(nodes: list[DemoNode], data: dict) -> None:
    """Seed each demo space's venues, events, registrations and today's check-ins (once)."""
    for node in nodes:
        with node.app.app_context():
            session = db.session
            if session.scalar(select(func.count()).select_from(Event)):
                continue
            manager = session.scalar(select(Member).where(Member.role == "manager").limit(1))
            members = list(session.scalars(select(Member).where(Member.role == "member").order_by(Member.id)))
            if manager is None or len(members) < 6:
                continue
            now = datetime.now(UTC)
            rooms = [events.create_venue(session, {"name": name, "kind": "room", "capacity": cap})
                     for name, cap in ROOMS.get(node.slug, ROOMS["marseille"])]
            popups = [events.create_venue(session, {"name": name, "kind": "external", "address": address})
                      for name, address in POPUP_VENUES.get(node.slug, POPUP_VENUES["marseille"])]
            created = []
            for spec in _program(node.slug, node.spec["city"], members, rooms, now.astimezone(PARIS).date()):
                if spec.pop("rotation", False):
                    spec["rotation_venue_ids"] = [v.id for v in popups]
                created.append(events.create_event(session, manager, {"status": "published", **spec}, now))
            apero, full_workshop, _workshop, training, _games, popup = created
            # The members' workshop is full with one person waiting; members[6:] can still join.
            for person in members[2:6]:
                registrations.register(session, full_workshop.occurrences[0].id, Registrant.local(person), now,
                                       viewer=person)
            for person in members[:5]:
                registrations.register(session, apero.occurrences[0].id, Registrant.local(person), now, viewer=person)
            for person in members[3:5]:
                registrations.register(session, training.occurrences[0].id, Registrant.local(person), now,
                                       viewer=person)
            registrations.register(session, popup.occurrences[0].id, Registrant.local(members[1]), now,
                                   viewer=members[1])
            for person in members[:3]:
                checkins.check_in(session, person, now, PARIS)
            session.commit()
            logger.info("demo events seeded for %s", node.slug)
