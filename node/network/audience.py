"""Which approved peers our directory is shared with: each network's choice (our manager's,
per network) applied to why each peer is peered.

A peer gets our directory entries unless every reason we are peered with it is a network whose
choice is "share nothing": peered by hand (``manual``), peered before networks existed (no
source recorded), or also through a network that shares as with peers, it gets them as today.
Nothing leaves that was not consented: the restrictive choice wins only where no other reason
to share exists, and a peer that loses its last sharing reason has its entries withdrawn at the
next export (tombstones).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain_events import PeersChanged
from ..errors import N_, ValidationError
from ..federation.models import PeerSource
from ..uow import record
from .models import DIRECTORY_SHARES, SHARE_AS_PEERS, SHARE_NOTHING, DirectoryChoice


def choice_for(session: Session, source: str) -> str:
    """What the directory shares with the peers of ``source`` (``peers`` when never chosen)."""
    share = session.scalar(select(DirectoryChoice.share).where(DirectoryChoice.source == source))
    return share or SHARE_AS_PEERS


def choices(session: Session) -> dict[str, str]:
    return {row.source: row.share for row in session.scalars(select(DirectoryChoice))}


def set_choice(session: Session, source: str, share: str) -> DirectoryChoice:
    """Record our manager's choice for ``source``; the directory export follows after the
    commit (``PeersChanged``: entries published to, or withdrawn from, its peers). Flushes."""
    if share not in DIRECTORY_SHARES:
        raise ValidationError(N_("Choose what the directory shares with this network."))
    row = session.scalar(select(DirectoryChoice).where(DirectoryChoice.source == source))
    if row is None:
        row = DirectoryChoice(source=source)
        session.add(row)
    row.share = share
    session.flush()
    record(session, PeersChanged())
    return row


def withheld_peers(session: Session) -> set[str]:
    """The peers whose every peering source is a network that shares nothing."""
    nothing = set(session.scalars(select(DirectoryChoice.source).where(
        DirectoryChoice.share == SHARE_NOTHING)))
    if not nothing:
        return set()
    sources: dict[str, set[str]] = {}
    for peer_node_id, source in session.execute(select(PeerSource.peer_node_id, PeerSource.source)):
        sources.setdefault(peer_node_id, set()).add(source)
    return {peer for peer, why in sources.items() if why <= nothing}
