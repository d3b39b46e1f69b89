import pytest

from federation.errors import BadRequest, CursorInFuture
from federation.feed import MAX_PAGE_ITEMS, build_feed_page, check_feed_page, parse_feed_query


def _items(first, last, size=10):
    return [{"seq": seq, "pad": "x" * size} for seq in range(first, last + 1)]


def test_page_limits_and_cursor():
    page = build_feed_page(_items(6, 200), after=5, limit=500, latest_seq=200)
    assert len(page.items) == MAX_PAGE_ITEMS
    assert page.next_after == 55 and page.has_more and not page.snapshot_required
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
    assert parse_feed_query({"after": "5", "limit": "500"}) == (5, 50)
    assert parse_feed_query({}) == (0, 50)
    for bad in (
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
