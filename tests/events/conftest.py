"""Fixtures of the events tests: a manager, an event factory, a clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from node.events import events, registrations
from node.events.registrations import Registrant


@pytest.fixture
def manager(create_member):
    return create_member("accueil@example.org", display_name="Inès Accueil", role="manager")


@pytest.fixture
def make_event(session, manager, clock) -> Callable:
    """Factory: a published event a week ahead (override any field)."""

    def factory(**data):
        now = data.pop("now", clock.now())
        start = data.pop("start_at", now + timedelta(days=7))
        values = {
            "title": "Apéro de rentrée", "type": "aperitif", "start_at": start,
            "end_at": data.pop("end_at", start + timedelta(hours=2)), "status": "published",
            "audience": "space", **data,
        }
        event = events.create_event(session, manager, values, now)
        session.commit()
        return event

    return factory


@pytest.fixture
def register_remote(session, clock) -> Callable:
    """Factory: a person of another node (who shared their e-mail) registers for a date."""

    def factory(occurrence_id: int, name: str = "Zoé Lyon"):
        registrant = Registrant.remote("node-b.example", f"ref-{name}", name, email="zoe@b.example")
        result = registrations.register(session, occurrence_id, registrant, clock.now(), idempotent=True)
        session.commit()
        return result.registration

    return factory
