"""``coworknet events ...``: periodic work of the events area."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click
from flask import Flask

from .app import create_app
from .db import db
from .services import event_mail, events


def run_tick(app: Flask, now: datetime | None = None) -> int:
    """Lapse overdue seat offers, offer the seats to the next people, mail them; extend series.

    Returns how many new offers were made. The scheduler calls this too."""
    now = now or datetime.now(UTC)
    ttl = timedelta(hours=float(app.config.get("EVENT_OFFER_TTL_HOURS", 24)))
    with app.app_context():
        session = db.session
        offers = events.tick(session, now, ttl)
        session.commit()
        event_mail.notify_offers(session, app.extensions["coworknet.mail"], offers,
                                 base_url=app.config["BASE_URL"], default_locale=app.config["DEFAULT_LOCALE"])
        return len(offers)


@click.group("events")
def events_group() -> None:
    """Events: periodic work."""


@events_group.command("tick")
def tick() -> None:
    """Expire seat offers past their deadline and extend recurring series (run every few minutes)."""
    count = run_tick(create_app())
    click.echo(f"{count} new seat offer(s).")


def register(main: click.Group) -> None:
    main.add_command(events_group)
