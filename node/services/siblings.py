"""Multi-site operator: peers run by the same operator are marked as siblings; the dashboard
shows their signed aggregates (``peer.stats``) beside our own figures."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import PeerStats, SiblingNode


def set_sibling(session: Session, node_id: str, sibling: bool) -> None:
    """Mark or unmark a peer node as run by the same operator."""
    node_id = node_id.strip().rstrip("/")
    row = session.get(SiblingNode, node_id)
    if sibling and row is None:
        session.add(SiblingNode(node_id=node_id))
    elif not sibling and row is not None:
        session.delete(row)
    session.flush()


def sibling_ids(session: Session) -> list[str]:
    return list(session.scalars(select(SiblingNode.node_id).order_by(SiblingNode.node_id)))


def candidates(session: Session) -> list[tuple[str, bool]]:
    """Peers we hold aggregates from, and whether each is a sibling."""
    marked = set(sibling_ids(session))
    known = set(session.scalars(select(PeerStats.peer))) | marked
    return [(node_id, node_id in marked) for node_id in sorted(known)]


@dataclass(frozen=True)
class SiblingFigures:
    node_id: str
    content: dict | None


def sibling_figures(session: Session) -> list[SiblingFigures]:
    """The latest aggregates of each sibling (None until its first ``peer.stats`` arrived)."""
    stats = {s.peer: s.content for s in session.scalars(select(PeerStats))}
    return [SiblingFigures(node_id, stats.get(node_id)) for node_id in sibling_ids(session)]
