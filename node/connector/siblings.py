"""Multi-site operator: spaces run by the same operator mark each other as siblings; the
dashboard shows their signed aggregates (``peer.stats``) beside our own figures.

Marking is mutual: each space lists the spaces it marked in its signed ``peer.stats``
(``siblings``). A space we marked is *pending* until its own signed figures name us too; a
space whose figures name us while we have not marked it is an *invitation* our manager can
accept by marking it. Per-space figures show side by side only once both sides agreed."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import N_, ValidationError
from ..federation.keyring import runtime_of
from ..federation.models import APPROVED, Peer
from .models import PeerStats, SiblingNode

#: At most this many siblings (the ``peer.stats`` schema accepts no longer list).
MAX_SIBLINGS = 100


def _normalise(node_id: str) -> str:
    return node_id.strip().rstrip("/")


def set_sibling(session: Session, node_id: str, sibling: bool) -> None:
    """Mark or unmark a peer node as run by the same operator (our side of the agreement)."""
    node_id = _normalise(node_id)
    row = session.get(SiblingNode, node_id)
    if sibling and row is None and session.scalar(
            select(Peer.id).where(Peer.node_id == node_id, Peer.status == APPROVED)) is None:
        # Our figures name our siblings to every approved space: only a space we federate with.
        raise ValidationError(N_("Only an approved peer space can be marked as a sibling."),
                              fields={"node_id": ["not_an_approved_peer"]})
    if sibling and row is None and len(sibling_ids(session)) >= MAX_SIBLINGS:
        raise ValidationError(N_("A space can have at most 100 sibling spaces."), fields={"node_id": ["too_many"]})
    if sibling and row is None:
        session.add(SiblingNode(node_id=node_id))
    elif not sibling and row is not None:
        session.delete(row)
    session.flush()


def sibling_ids(session: Session) -> list[str]:
    """The spaces our manager marked (published in our ``peer.stats``)."""
    return list(session.scalars(select(SiblingNode.node_id).order_by(SiblingNode.node_id)))


def names_us(content: dict | None, own_id: str) -> bool:
    """Whether a peer's signed aggregates list our node as one of its siblings."""
    claimed = (content or {}).get("siblings") or []
    return _normalise(own_id) in {_normalise(node_id) for node_id in claimed}


def _own_id(session: Session) -> str:
    return runtime_of(session).node_id


def _names(session: Session) -> dict[str, str]:
    return {p.node_id: p.name for p in session.scalars(select(Peer))}


@dataclass(frozen=True)
class SiblingFigures:
    node_id: str
    name: str
    #: The latest signed aggregates; None until both sides agreed (or before the first arrived).
    content: dict | None
    is_mutual: bool


def sibling_figures(session: Session) -> list[SiblingFigures]:
    """The spaces we marked: their latest aggregates once they named us too, else pending."""
    own, names = _own_id(session), _names(session)
    stats = {s.peer: s.content for s in session.scalars(select(PeerStats))}
    rows = []
    for node_id in sibling_ids(session):
        mutual = names_us(stats.get(node_id), own)
        rows.append(SiblingFigures(node_id, names.get(node_id, ""), stats.get(node_id) if mutual else None, mutual))
    return rows


def invitations(session: Session) -> list[tuple[str, str]]:
    """Spaces whose signed aggregates name us as a sibling while we have not marked them
    (``(node_id, name)``): our manager may confirm by marking them in turn."""
    own, names, marked = _own_id(session), _names(session), set(sibling_ids(session))
    return [(s.peer, names.get(s.peer, "")) for s in session.scalars(select(PeerStats).order_by(PeerStats.peer))
            if s.peer not in marked and names_us(s.content, own)]


def candidates(session: Session) -> list[tuple[str, bool]]:
    """Peers we hold aggregates from, and whether each is marked by us."""
    marked = set(sibling_ids(session))
    known = set(session.scalars(select(PeerStats.peer))) | marked
    return [(node_id, node_id in marked) for node_id in sorted(known)]
