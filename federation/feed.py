"""Pure helpers for the pull protocol (``GET /federation/v1/feed?after=<seq>&limit=<n>``).

The owner numbers its outbox with strictly increasing ``seq`` values; the reader keeps the
cursor. The outbox is compacted (an object's superseded items may be dropped) and
tombstones are kept for the retention period; a reader whose cursor is older than that
must resynchronise from 0 (``snapshot_required``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from federation.canonical import canonical_dumps
from federation.errors import BadRequest, CursorInFuture, PayloadTooLarge
from federation.messages import MAX_ITEM_BYTES

logger = logging.getLogger(__name__)

MAX_PAGE_ITEMS = 50
DEFAULT_PAGE_ITEMS = 50
# Leaves room for the page envelope under the 1 MB body limit.
MAX_PAGE_BYTES = 960_000


@dataclass(frozen=True)
class FeedPage:
    items: tuple[dict[str, Any], ...]
    next_after: int
    has_more: bool
    snapshot_required: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "items": list(self.items),
            "next_after": self.next_after,
            "has_more": self.has_more,
            "snapshot_required": self.snapshot_required,
        }


def parse_feed_query(args: Mapping[str, str]) -> tuple[int, int]:
    """Parse ``after`` and ``limit`` strictly (decimal digits only); limit is clamped to 50."""
    unknown = set(args) - {"after", "limit"}
    if unknown:
        raise BadRequest("unknown feed query parameter")
    after_text = args.get("after", "0")
    limit_text = args.get("limit", str(DEFAULT_PAGE_ITEMS))
    for text in (after_text, limit_text):
        if not text.isascii() or not text.isdigit() or len(text) > 16:
            raise BadRequest("after and limit must be non-negative integers")
    limit = int(limit_text)
    if limit < 1:
        raise BadRequest("limit must be at least 1")
    return int(after_text), min(limit, MAX_PAGE_ITEMS)


def build_feed_page(
    items_after: Sequence[Mapping[str, Any]],
    *,
    after: int,
    limit: int,
    latest_seq: int,
    retention_floor_seq: int = 0,
) -> FeedPage:
    """Build the page answering ``after``/``limit`` from the items with ``seq > after``.

    ``items_after`` must be in ascending ``seq`` order (fetch ``limit + 1`` to learn
    ``has_more``). ``retention_floor_seq`` is the lowest seq from which every tombstone is
    still held; a non-zero cursor below it gets ``snapshot_required``.
    """
    if after < 0:
        raise BadRequest("after must be non-negative")
    if after > latest_seq:
        raise CursorInFuture(f"cursor {after} is after the latest sequence number")
    if 0 < after < retention_floor_seq:
        return FeedPage(items=(), next_after=0, has_more=True, snapshot_required=True)
    limit = max(1, min(limit, MAX_PAGE_ITEMS))
    page: list[dict[str, Any]] = []
    total = 0
    previous = after
    has_more = False
    for item in items_after:
        seq = item["seq"]
        if seq <= previous:
            raise ValueError("feed items must have strictly increasing seq after the cursor")
        size = len(canonical_dumps(dict(item)))
        if size > MAX_ITEM_BYTES:
            raise PayloadTooLarge(f"feed item {seq} exceeds 64 KiB")
        if len(page) >= limit or (page and total + size > MAX_PAGE_BYTES):
            has_more = True
            break
        page.append(dict(item))
        total += size + 1
        previous = seq
    if not has_more and previous < latest_seq and len(page) >= limit:
        has_more = True
    return FeedPage(items=tuple(page), next_after=previous, has_more=has_more)


def check_feed_page(page: Mapping[str, Any], after: int) -> None:
    """Reader-side sanity checks: ≤ 50 items, seqs strictly increasing after the cursor."""
    items = page.get("items")
    if not isinstance(items, list) or len(items) > MAX_PAGE_ITEMS:
        raise BadRequest("feed page must hold at most 50 items")
    previous = after
    for item in items:
        seq = item.get("seq") if isinstance(item, dict) else None
        if not isinstance(seq, int) or isinstance(seq, bool) or seq <= previous:
            raise BadRequest("feed page sequence numbers must increase after the cursor")
        previous = seq
    if not page.get("snapshot_required") and items and page.get("next_after") != previous:
        raise BadRequest("next_after must be the seq of the last item")
