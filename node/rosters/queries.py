"""Reads of the networks: a network's spaces, its totals (counts and sums only, from what its
spaces publish) and its Coworking Weeks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..connector.models import PeerStats
from ..connector.network import stats_content
from ..federation.keyring import runtime_of
from ..regional.models import RegionalEvent, RegionalParticipant
from .rosters import member_ids, members_of


@dataclass(frozen=True)
class NetworkTotals:
    """What a network's spaces say of themselves in their signed ``peer.stats`` (ours
    computed here): members sharing their skills, upcoming events, business done this year,
    network-pass visits hosted this year. Spaces whose figures we do not hold yet are counted
    in ``spaces_without_figures``."""

    spaces: int
    members_sharing: int
    events_upcoming: int
    business_cents: int
    spaces_without_figures: int
    visits: int = 0


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
        spaces_without_figures=len(spaces) - len(with_figures),
        visits=sum(int(f.get("pass_visits", 0)) for f in with_figures))


def network_weeks(session: Session, network: Any, now: datetime) -> list[RegionalEvent]:
    """The network's Coworking Weeks: regional events not over nor cancelled whose organiser
    and every co-organiser who accepted are on the roster (events we hold: ours, the copies on
    our peers' feeds, the invitations we received), soonest first."""
    nodes = member_ids(network)
    rows = session.scalars(select(RegionalEvent).where(
        RegionalEvent.organiser.in_(nodes), RegionalEvent.status == "scheduled",
        RegionalEvent.ends_at >= now).order_by(RegionalEvent.starts_at, RegionalEvent.id)).all()
    if not rows:
        return []
    outside = set(session.scalars(select(RegionalParticipant.regional_event_id).where(
        RegionalParticipant.regional_event_id.in_([r.id for r in rows]),
        RegionalParticipant.status == "accepted", RegionalParticipant.node_id.not_in(nodes))))
    return [row for row in rows if row.id not in outside]
