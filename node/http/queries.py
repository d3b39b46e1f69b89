"""Query and display helpers the portal and the API build alike: the network search query and
its facet cap, the regional program's filter, amounts in euros."""

from __future__ import annotations

from decimal import Decimal

from flask import current_app
from flask_babel import format_currency

from ..network import search as network_search
from ..regional import regional


def facet_cap() -> int:
    """How many best matches the facet counts cover at most (``NETWORK_FACET_CAP``)."""
    return current_app.extensions["coworknet.network.facet_cap"]


def search_query(data: dict) -> network_search.NetworkQuery:
    return network_search.NetworkQuery(
        text=data["q"], language=data["language"] or None, trade_group=data["trade_group"] or None,
        place=data["place"] or None, open_to_help=data["open_to_help"],
        open_to_paid=data["open_to_paid"], open_to_barter=data["open_to_barter"],
        limit=data["limit"],
    )


def program_filter(data: dict) -> regional.ProgramFilter:
    return regional.ProgramFilter(day=data.get("day"), host=data.get("space") or None,
                                  kind=data.get("kind") or None, type=data.get("type") or None)


def euros(cents: int | None) -> str:
    """Integer cents as a localised amount: ``12 500,00 €`` in French."""
    if cents is None:
        return ""
    return format_currency(Decimal(cents) / 100, "EUR")
