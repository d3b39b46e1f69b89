"""Peers' directory entries applied a sync page at a time (``directory.entry`` feed items).

The transport (``node.federation.sync``) hands over the verified ``directory.entry`` items of a
page in seq order, in the page's transaction. The result is the one
item-by-item application would give (an object's
last item of the page stands: a live item replaces the copy and its index rows, a tombstone
or a redacted item drops them), written with one statement per kind of change instead of a
query and a flush per item.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ..bulk import among, insert_rows
from ..federation.registry import HandlerRegistry
from ..orm import utcnow
from .models import NetworkEntry, NetworkEntryConcept
from .ranking import ITEM_TYPE, MAX_LEASE, entry_score, group_key, proximity_of

logger = logging.getLogger(__name__)


def _entry_values(item: dict, now: datetime) -> dict[str, Any]:
    content = item["content"]
    named = bool(content["named"])
    lease = datetime.fromtimestamp(content["lease_until_ts"] / 1000, UTC)
    return {
        "pseudonym": content["pseudonym"],
        "is_named": named,
        "display_name": content.get("display_name", "") if named else "",
        "headline": content.get("headline", "") if named else "",
        "languages": " " + " ".join(content["languages"]) + " ",
        "open_to_help": content["open_to_help"],
        "open_to_paid": content["open_to_paid"],
        "open_to_barter": content["open_to_barter"],
        "trade_group": content["trade_group"],
        "place_kind": content["place"]["kind"],
        "place_value": content["place"]["value"],
        "lease_until": min(lease, now + MAX_LEASE),
        "updated_at": now,
    }


def _index_rows(entry_id: int, item: dict, values: dict[str, Any],
                proximity: int) -> list[dict[str, Any]]:
    available = int(values["open_to_help"]) + int(values["open_to_paid"]) + int(
        values["open_to_barter"])
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for concept in item["content"]["concepts"]:
        generalised = concept["generalised"]
        key = group_key(concept["concept"]) if generalised else concept["concept"]
        if key in seen:
            continue
        seen.add(key)
        rows.append({
            "concept": key, "entry_id": entry_id, "level_band": concept["level_band"],
            "is_generalised": generalised, "place_value": values["place_value"],
            "score": entry_score(concept["level_band"], available=available,
                                 proximity=proximity, generalised=generalised),
        })
    return rows


def apply_directory_page(session: Session, peer, items: list[dict],
                         now: datetime | None = None) -> None:
    """Store or drop a run of a peer's verified ``directory.entry`` items (idempotent)."""
    now = now or utcnow()
    last: dict[str, dict] = {}
    for item in items:  # an object's last item of the page is the one that stands
        last.pop(item["id"], None)
        last[item["id"]] = item
    existing = dict(session.execute(
        select(NetworkEntry.object_id, NetworkEntry.id)
        .where(among(session, NetworkEntry.object_id, list(last)))).all())
    dropped: list[int] = []
    updates: list[tuple[str, dict[str, Any]]] = []  # (object id, new values by entry id)
    inserts: list[dict[str, Any]] = []
    proximity: dict[str, int] = {}
    for object_id, item in last.items():
        entry_id = existing.get(object_id)
        if item.get("deleted") or item.get("content") is None:  # tombstone, or redacted
            if entry_id is not None:
                dropped.append(entry_id)
            continue
        values = _entry_values(item, now)
        proximity[object_id] = proximity_of(session, peer, item["owner"], values["place_kind"],
                                          values["place_value"])
        if entry_id is None:
            inserts.append({"object_id": object_id, "owner": item["owner"], "member_id": None,
                            **values})
        else:
            updates.append((object_id, {"id": entry_id, **values}))
    stale = dropped + [row["id"] for _object_id, row in updates]
    if stale:
        session.execute(delete(NetworkEntryConcept).where(NetworkEntryConcept.entry_id.in_(stale)))
    if dropped:
        session.execute(delete(NetworkEntry).where(NetworkEntry.id.in_(dropped)))
    if updates:
        session.execute(update(NetworkEntry), [row for _object_id, row in updates])
    targets = [(row["id"], object_id, row) for object_id, row in updates]
    if inserts:
        # Plain rows at the driver's speed (nothing for the session to track), then their ids.
        insert_rows(session, NetworkEntry.__table__, inserts)
        new_ids = [row["object_id"] for row in inserts]
        created = dict(session.execute(
            select(NetworkEntry.object_id, NetworkEntry.id)
            .where(among(session, NetworkEntry.object_id, new_ids))).all())
        targets += [(created[row["object_id"]], row["object_id"], row) for row in inserts]
    index: list[dict[str, Any]] = []
    for entry_id, object_id, values in targets:
        index += _index_rows(entry_id, last[object_id], values, proximity[object_id])
    insert_rows(session, NetworkEntryConcept.__table__, index)


def register(registry: HandlerRegistry) -> None:
    """A sync page's run of ``directory.entry`` items, written in a few statements."""
    registry.on_feed_page(ITEM_TYPE, apply_directory_page)
