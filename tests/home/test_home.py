"""The home page: what a visitor learns (the space, the next public events, the Coworking
Week, how to join) and what a member finds (the profile to complete, their next events, needs
matching their skills, people to meet, what is new), in a fixed number of queries."""

from __future__ import annotations

import contextlib
from datetime import timedelta

from sqlalchemy import event as sa_event

from node.accounts.models import Space
from node.connector import needs
from node.db import db
from node.events import events, registrations
from node.events.registrations import Registrant
from node.regional import regional


def _space(session, **values) -> Space:
    space = Space(name="La Coque Bleue", city="Marseille", base_url="http://localhost",
                  address="12 rue de la République, Marseille", opening_hours="Lundi–vendredi 8 h 30–19 h",
                  description="Un espace **lumineux** au cœur du Panier.", **values)
    session.add(space)
    session.commit()
    return space


def _event(session, manager, now, title, *, days, audience="public", capacity=None, status="published"):
    start = now + timedelta(days=days)
    event = events.create_event(session, manager, {
        "title": title, "type": "atelier", "start_at": start, "end_at": start + timedelta(hours=2),
        "status": status, "audience": audience, "capacity": capacity}, now)
    session.commit()
    return event


@contextlib.contextmanager
def counted_queries(app):
    """The SQL statements the app runs inside the block (engine events, test-only)."""
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    engine = db.engine(app)
    sa_event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa_event.remove(engine, "before_cursor_execute", count)


def test_visitor_home_shows_the_space_the_public_events_the_week_and_how_to_join(
        client, session, create_member, clock):
    _space(session, contact_email="bonjour@coque.example")
    manager = create_member("gerant@example.org", role="manager")
    now = clock.now()
    _event(session, manager, now, "Atelier compta pour freelances", days=3, capacity=2)
    _event(session, manager, now, "Réunion interne", days=2, audience="space")
    _event(session, manager, now, "Brouillon secret", days=1, status="draft")
    week = regional.create_regional(session, manager, {
        "title": "Semaine du coworking 2027", "starts_at": now + timedelta(days=5),
        "ends_at": now + timedelta(days=10), "visibility": "public", "timezone": "Europe/Paris"}, now)
    session.commit()

    page = client.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)

    assert "Un espace <strong>lumineux</strong>" in page
    assert "12 rue de la République" in page and "8 h 30–19 h" in page and "bonjour@coque.example" in page
    assert "Atelier compta pour freelances" in page
    assert "Réunion interne" not in page and "Brouillon secret" not in page
    assert "2 places restantes" in page or "2 seats left" in page
    assert f'href="/regional/{week.id}"' in page and "Semaine du coworking 2027" in page
    assert 'href="/signup"' in page and 'href="/privacy"' in page


def test_member_home_lists_the_checklist_next_events_needs_and_people(
        portal, session, create_member, clock):
    _space(session)
    now = clock.now()
    manager = create_member("gerant@example.org", role="manager")
    lea = create_member("lea@example.org", display_name="Léa Martin", skills=[("comptable", "expert")],
                        headline="Comptable pour indépendants")
    fiscaliste = create_member("paul@example.org", display_name="Paul Fiscal", skills=[("fiscalité", "expert")])
    author = create_member("nina@example.org", display_name="Nina Auteure", skills=[("photographe", "confirme")])
    needs.create_need(session, author, text="Je cherche un comptable pour ma micro-entreprise")
    needs.create_need(session, author, text="Qui sait monter un drone ?")
    event = _event(session, manager, now, "Apéro de rentrée", days=4, audience="space")
    registrations.register(session, event.occurrences[0].id, Registrant.local(lea), now, viewer=lea)
    session.commit()

    portal.login("lea@example.org")
    page = portal.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)

    todo = page[page.index('id="profile-todo"'):page.index('id="my-events"')]
    assert 'data-item="skills"' in todo and 'class="todo" data-item="photo"' in todo
    assert 'class="done" data-item="headline"' in todo
    mine = page[page.index('id="my-events"'):page.index('id="coming-up"')]
    assert "Apéro de rentrée" in mine
    needs_part = page[page.index('id="needs-for-me"'):page.index('id="people"')]
    assert "un comptable pour ma micro-entreprise" in needs_part and "drone" not in needs_part
    people = page[page.index('id="people"'):]
    assert "Paul Fiscal" in people  # tax law is next to accounting in the thesaurus
    assert people.index("Paul Fiscal") < people.index("Nina Auteure")  # related skills before newcomers
    assert fiscaliste.id != author.id


def test_member_home_runs_a_fixed_number_of_queries(app, portal, session, create_member, clock):
    _space(session)
    now = clock.now()
    manager = create_member("gerant@example.org", role="manager")
    me = create_member("moi@example.org", skills=[("comptable", "expert"), ("photographe", "debutant")])

    def grow(n: int) -> None:
        for i in range(n):
            other = create_member(skills=[("fiscalité", "expert"), ("drone", "confirme")])
            needs.create_need(session, other, text=f"Besoin {i} : un comptable, une photo")
            event = _event(session, manager, now, f"Atelier {i}", days=i + 1, capacity=5)
            registrations.register(session, event.occurrences[0].id, Registrant.local(me), now, viewer=me)
            registrations.register(session, event.occurrences[0].id, Registrant.local(other), now, viewer=other)
        session.commit()

    portal.login("moi@example.org")
    grow(2)
    with counted_queries(app) as small:
        assert portal.get("/").status_code == 200
    grow(10)
    with counted_queries(app) as large:
        assert portal.get("/").status_code == 200
    assert len(large) == len(small), (len(small), len(large))
    assert len(large) <= 40


def test_visitor_home_runs_a_fixed_number_of_queries(app, client, session, create_member, clock):
    _space(session)
    now = clock.now()
    manager = create_member("gerant@example.org", role="manager")
    _event(session, manager, now, "Premier", days=1, capacity=3)
    with counted_queries(app) as small:
        client.get("/")
    for i in range(8):
        _event(session, manager, now, f"Atelier {i}", days=i + 2, capacity=3)
    with counted_queries(app) as large:
        client.get("/")
    assert len(large) == len(small) <= 12
