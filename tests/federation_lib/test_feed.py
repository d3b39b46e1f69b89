import pytest

from federation.canonical import canonical_dumps, canonical_loads
from federation.errors import BadRequest, CursorInFuture
from federation.feed import (
    MAX_PAGE_ITEMS,
    build_encoded_feed_page,
    build_feed_page,
    check_feed_page,
    parse_feed_query,
)


def _items(first, last, size=10):
    return [{"seq": seq, "pad": "x" * size} for seq in range(first, last + 1)]


def test_page_limits_and_cursor():
    latest = MAX_PAGE_ITEMS + 200
    page = build_feed_page(_items(6, latest), after=5, limit=MAX_PAGE_ITEMS + 500,
                           latest_seq=latest)
    assert len(page.items) == MAX_PAGE_ITEMS
    assert page.next_after == 5 + MAX_PAGE_ITEMS and page.has_more and not page.snapshot_required
    asked = build_feed_page(_items(6, 200), after=5, limit=50, latest_seq=200)
    assert len(asked.items) == 50 and asked.next_after == 55 and asked.has_more
    last = build_feed_page(_items(196, 200), after=195, limit=50, latest_seq=200)
    assert last.next_after == 200 and not last.has_more
    empty = build_feed_page([], after=200, limit=50, latest_seq=200)
    assert empty.to_dict() == {
        "items": [],
        "next_after": 200,
        "has_more": False,
        "snapshot_required": False,
    }


def test_page_byte_budget():
    page = build_feed_page(_items(1, 50, size=60_000), after=0, limit=50, latest_seq=50)
    assert 0 < len(page.items) < 50 and page.has_more
    assert len(page.to_json()) < 1_000_000


def test_stored_items_are_served_as_they_are():
    """A page built from stored canonical bytes is the same page as one built from the items,
    its JSON is canonical, and the stored bytes appear in it unchanged."""
    items = [{"seq": seq, "pad": "é" * seq} for seq in range(6, 20)]
    stored = [(item["seq"], canonical_dumps(item)) for item in items]
    from_items = build_feed_page(items, after=5, limit=10, latest_seq=19)
    from_bytes = build_encoded_feed_page(stored, after=5, limit=10, latest_seq=19)
    assert from_bytes.to_dict() == from_items.to_dict()
    body = from_bytes.to_json()
    assert body == canonical_dumps(from_items.to_dict()) == from_items.to_json()
    assert canonical_loads(body, require_canonical=True)["next_after"] == 15
    assert all(raw in body for _seq, raw in stored[:10])
    big = [(seq, canonical_dumps({"seq": seq, "pad": "x" * 60_000})) for seq in range(1, 51)]
    budget = build_encoded_feed_page(big, after=0, limit=50, latest_seq=50)
    assert 0 < len(budget.encoded_items) < 50 and budget.has_more
    assert len(budget.to_json()) < 1_000_000


def test_future_cursor():
    with pytest.raises(CursorInFuture):
        build_feed_page([], after=201, limit=50, latest_seq=200)


def test_snapshot_when_cursor_is_older_than_retention():
    page = build_feed_page(
        _items(6, 10), after=5, limit=50, latest_seq=200, retention_floor_seq=100
    )
    assert page.snapshot_required and page.items == () and page.next_after == 0
    fresh = build_feed_page(
        _items(1, 10), after=0, limit=50, latest_seq=200, retention_floor_seq=100
    )
    assert not fresh.snapshot_required and len(fresh.items) == 10


def test_parse_feed_query():
    assert parse_feed_query({"after": "5", "limit": "500"}) == (5, 500, False)
    assert parse_feed_query({"limit": "100000"}) == (0, MAX_PAGE_ITEMS, False)
    assert parse_feed_query({}) == (0, 50, False)
    assert parse_feed_query({"after": "7", "resync": "1"}) == (7, 50, True)
    for bad in (
        {"resync": "0"},
        {"resync": "true"},
        {"resync": ""},
        {"after": "-1"},
        {"after": "1.5"},
        {"limit": "0"},
        {"after": "١"},
        {"after": "1", "x": "2"},
    ):
        with pytest.raises(BadRequest):
            parse_feed_query(bad)


def test_check_feed_page():
    check_feed_page({"items": _items(6, 8), "next_after": 8}, 5)
    with pytest.raises(BadRequest):
        check_feed_page({"items": _items(5, 8), "next_after": 8}, 5)
    with pytest.raises(BadRequest):
        check_feed_page({"items": [{"seq": 7}, {"seq": 6}], "next_after": 6}, 5)
    with pytest.raises(BadRequest):  # more items than the reader asked for
        check_feed_page({"items": _items(6, 8), "next_after": 8}, 5, limit=2)
