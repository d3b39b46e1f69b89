"""Where a directory entry ranks: the searcher's locality, an entry's proximity to it, and the
static score of one (concept, entry) index row. Shared by the search (our own members' entries)
and the copies of peers' entries (a sync page), which both write index rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from federation.messages import DIRECTORY_ENTRY

from ..accounts.models import Space
from ..federation.keyring import RUNTIME_INFO_KEY
from ..federation.models import Peer

ITEM_TYPE = DIRECTORY_ENTRY
GROUP_PREFIX = "g:"
LEVEL_RANK = {"beginner": 0, "intermediate": 1, "confirmed": 2, "expert": 3}
#: A peer may not keep its entries alive here longer than this without re-publishing.
MAX_LEASE = timedelta(days=8)
#: Proximity of an entry to the searcher: our own space, same city, same region, elsewhere.
PROXIMITY_LOCAL, PROXIMITY_CITY, PROXIMITY_REGION, PROXIMITY_FAR = 3, 2, 1, 0


@dataclass(frozen=True)
class Locality:
    name: str
    city: str
    region: str


def our_locality(session: Session) -> Locality:
    """Our space's name, city and region (the space row, else the node's settings)."""
    space = session.scalar(select(Space).limit(1))
    if space is not None:
        return Locality(space.name, space.city, space.region)
    runtime = session.info.get(RUNTIME_INFO_KEY)
    if runtime is not None:
        return Locality(runtime.name, runtime.city, runtime.region)
    return Locality("", "", "")


def group_key(group_id: str) -> str:
    """The index key of a generalised skill (a thesaurus group)."""
    return GROUP_PREFIX + group_id


def entry_score(level_band: str, *, available: int, proximity: int, generalised: bool) -> int:
    """The static rank of one (concept, entry) row: proximity, then level, then availability."""
    return proximity * 100 + LEVEL_RANK.get(level_band, 2) * 20 + available * 5 + (
        0 if generalised else 10
    )


LOCALITY_INFO_KEY = "coworknet.network.locality"


def _transaction_locality(session: Session) -> Locality:
    """:func:`our_locality`, read once per transaction (a sync page applies many items)."""
    transaction = session.get_transaction()
    cached = session.info.get(LOCALITY_INFO_KEY)
    if transaction is not None and cached is not None and cached[0] is transaction:
        return cached[1]
    locality = our_locality(session)
    session.info[LOCALITY_INFO_KEY] = (session.get_transaction(), locality)
    return locality


def proximity_of(session: Session, peer, owner: str, place_kind: str, place_value: str) -> int:
    space = _transaction_locality(session)
    if peer is None or getattr(peer, "node_id", None) != owner:
        peer = session.scalar(select(Peer).where(Peer.node_id == owner))
    city = place_value if place_kind == "city" else (peer.city if peer else "")
    region = place_value if place_kind == "region" else (peer.region if peer else "")
    if place_kind != "region" and city and city == space.city:
        return PROXIMITY_CITY
    if region and region == space.region:
        return PROXIMITY_REGION
    return PROXIMITY_FAR
