"""``coworknet events ...``: periodic work of the events area (also run by the scheduler)."""

from __future__ import annotations

import click

from ..app import create_app
from ..periodic import EVENTS_TICK, run_tick
from . import jobs as cli_jobs

__all__ = ["events_group", "register", "run_tick"]


@click.group("events")
def events_group() -> None:
    """Events: periodic work."""


@events_group.command("tick")
def tick() -> None:
    """Expire seat offers past their deadline and extend recurring series (the scheduler of
    ``coworknet sync`` runs this every five minutes; same as ``coworknet jobs run events.tick``)."""
    cli_jobs.run_now(create_app(), EVENTS_TICK, named=False)


def register(main: click.Group) -> None:
    main.add_command(events_group)
