"""A sync page of peers' directory entries applied at once gives the same copies and index
rows as the items applied one after the other (creates, updates, a tombstone, a redacted item,
the same object twice in a page)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from node.federation.models import APPROVED
from node.models import NetworkEntry, NetworkEntryConcept, Peer
from node.network import copies as network_copies
from node.network import search as network_search

from .test_export import remote_item

B = "https://b.example"
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def _state(session) -> tuple[list, list]:
    entries = session.execute(select(
        NetworkEntry.object_id, NetworkEntry.owner, NetworkEntry.pseudonym, NetworkEntry.is_named,
        NetworkEntry.display_name, NetworkEntry.headline, NetworkEntry.languages,
        NetworkEntry.open_to_help, NetworkEntry.open_to_paid, NetworkEntry.open_to_barter,
        NetworkEntry.trade_group, NetworkEntry.place_kind, NetworkEntry.place_value,
        NetworkEntry.lease_until, NetworkEntry.updated_at,
    ).order_by(NetworkEntry.object_id)).all()
    index = session.execute(
        select(NetworkEntry.object_id, NetworkEntryConcept.concept, NetworkEntryConcept.score,
               NetworkEntryConcept.level_band, NetworkEntryConcept.is_generalised)
        .join(NetworkEntry, NetworkEntry.id == NetworkEntryConcept.entry_id)
        .order_by(NetworkEntry.object_id, NetworkEntryConcept.concept)).all()
    return [tuple(row) for row in entries], [tuple(row) for row in index]


def _pages(now: datetime) -> list[list[dict]]:
    first = [
        remote_item(B, "a", "accounting", now=now, place={"kind": "city", "value": "Aix"}),
        remote_item(B, "b", "wood-crafts", now=now, generalised=True, open_to_paid=True),
        remote_item(B, "c", "tax", now=now, named=True, display_name="Céline", headline="Fiscaliste"),
        remote_item(B, "gone", "tax", now=now),
    ]
    first[1]["content"]["concepts"].append(  # the same key twice: indexed once
        {"concept": "wood-crafts", "level_band": "beginner", "generalised": True})
    again = remote_item(B, "a", "photography", now=now, languages=["fr", "en"])  # same page, newer
    second = [
        remote_item(B, "b", "translation", now=now, place={"kind": "region", "value": "Provence"}),
        {**remote_item(B, "gone", "tax", now=now), "deleted": True, "content": None},
        {**remote_item(B, "c", "tax", now=now), "content": None, "redacted": True},
        remote_item(B, "d", "accounting", now=now, open_to_barter=True),
    ]
    return [first + [again], second]


def test_a_page_at_once_equals_item_after_item(session):
    peer = Peer(node_id=B, name="B", status=APPROVED, city="Aix", region="Provence")
    session.add(peer)
    session.commit()
    pages = _pages(NOW)
    for page in pages:
        for item in page:
            network_search.apply_directory_item(session, peer, item, now=NOW)
    session.commit()
    one_by_one = _state(session)
    assert len(one_by_one[0]) == 3  # a, b, d (gone deleted, c redacted)

    for table in (NetworkEntryConcept, NetworkEntry):
        session.query(table).delete()
    session.commit()
    for page in pages:
        network_copies.apply_directory_page(session, peer, page, now=NOW)
    session.commit()
    assert _state(session) == one_by_one
    # Applying the same pages again changes nothing (idempotent).
    for page in pages:
        network_copies.apply_directory_page(session, peer, page, now=NOW)
    session.commit()
    assert _state(session) == one_by_one
