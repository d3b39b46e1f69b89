"""Reads of the networks: a network's spaces and its totals (counts and sums only)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..connector.models import PeerStats
from ..connector.network import stats_content
from ..federation.keyring import runtime_of
from .rosters import members_of


@dataclass(frozen=True)
class NetworkTotals:
    """What a network's spaces say of themselves in their signed ``peer.stats`` (ours
    computed here): members sharing their skills, upcoming events, business done this year.
    Spaces whose figures we do not hold yet are counted in ``spaces_without_figures``."""

    spaces: int
    members_sharing: int
    events_upcoming: int
    business_cents: int
    spaces_without_figures: int


def network_spaces(session: Session, network: Any) -> list[dict[str, Any]]:
    """The roster's members, each with the figures we hold of it (None: none yet)."""
    runtime = runtime_of(session)
    members = members_of(network)
    held = {row.peer: row.content for row in session.scalars(select(PeerStats).where(
        PeerStats.peer.in_([m["node_id"] for m in members])))}
    spaces = []
    for member in sorted(members, key=lambda m: m["name"].casefold()):
        figures = (stats_content(session) if member["node_id"] == runtime.node_id
                   else held.get(member["node_id"]))
        spaces.append({**member, "figures": figures,
                       "is_us": member["node_id"] == runtime.node_id})
    return spaces


def network_totals(spaces: list[dict[str, Any]]) -> NetworkTotals:
    with_figures = [s["figures"] for s in spaces if s["figures"]]
    return NetworkTotals(
        spaces=len(spaces),
        members_sharing=sum(int(f.get("directory_entries", 0)) for f in with_figures),
        events_upcoming=sum(int(f.get("events_upcoming", 0)) for f in with_figures),
        business_cents=sum(int(f.get("business_cents", 0)) for f in with_figures),
        spaces_without_figures=len(spaces) - len(with_figures))
