"""Pure helpers for the pull protocol (``GET /federation/v1/feed?after=<seq>&limit=<n>``).

The owner numbers its outbox with strictly increasing ``seq`` values; the reader keeps the
cursor. The outbox is compacted (an object's superseded items may be dropped) and
tombstones are kept for the retention period; a reader whose cursor is older than that
must resynchronise from 0 (``snapshot_required``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from federation.canonical import canonical_dumps, canonical_loads
from federation.errors import BadRequest, CursorInFuture, PayloadTooLarge
from federation.messages import MAX_ITEM_BYTES
from schemas.federation import MAX_FEED_PAGE_ITEMS

logger = logging.getLogger(__name__)

#: A page holds at most this many items (and at most ``MAX_PAGE_BYTES``): large pages make a
#: catch-up cheap (one signed request, one key lookup and one commit per page).
MAX_PAGE_ITEMS = MAX_FEED_PAGE_ITEMS
#: What a page holds when the reader names no ``limit`` (what protocol readers asked before
#: pages could be larger).
DEFAULT_PAGE_ITEMS = 50
# Leaves room for the page envelope under the 1 MB body limit.
MAX_PAGE_BYTES = 960_000


@dataclass(frozen=True)
class FeedPage:
    """One answer of the feed. ``encoded_items``, when set, are the items' canonical JSON bytes
    as stored by the owner: they are served as they are, never decoded and encoded again."""

    items: tuple[dict[str, Any], ...]
    next_after: int
    has_more: bool
    snapshot_required: bool = False
    encoded_items: tuple[bytes, ...] | None = None

    def item_list(self) -> list[dict[str, Any]]:
        if self.encoded_items is None:
            return [dict(item) for item in self.items]
        return [canonical_loads(raw) for raw in self.encoded_items]  # type: ignore[misc]

    def to_dict(self) -> dict[str, Any]:
        return {
            "items": self.item_list(),
            "next_after": self.next_after,
            "has_more": self.has_more,
            "snapshot_required": self.snapshot_required,
        }

    def to_json(self) -> bytes:
        """The page as canonical JSON; stored items are spliced in as their own bytes."""
        encoded = self.encoded_items
        if encoded is None:
            encoded = tuple(canonical_dumps(dict(item)) for item in self.items)
        flag = {True: b"true", False: b"false"}
        return b"".join((
            b'{"has_more":', flag[self.has_more], b',"items":[', b",".join(encoded),
            b'],"next_after":', str(self.next_after).encode("ascii"),
            b',"snapshot_required":', flag[self.snapshot_required], b"}",
        ))


_NEXT_PAGE = re.compile(rb'\],"next_after":(0|[1-9][0-9]{0,15}),"snapshot_required":false\}\Z')


def peek_next_after(body: bytes) -> int | None:
    """The cursor of the page after this one, read off the bytes of a canonical feed page
    (:meth:`FeedPage.to_json`) without parsing it; None when the page says it is the last,
    or is not in canonical form. A hint for reading ahead, nothing more: each page is parsed
    and checked when its turn comes, against the cursor actually reached."""
    if not body.startswith(b'{"has_more":true,"items":['):
        return None
    match = _NEXT_PAGE.search(body, max(0, len(body) - 64))
    return int(match.group(1)) if match else None


def parse_feed_query(args: Mapping[str, str]) -> tuple[int, int, bool]:
    """Parse ``after`` and ``limit`` strictly (decimal digits only; limit is clamped to
    ``MAX_PAGE_ITEMS``) and ``resync`` (``1`` or absent): ``(after, limit, resync)``."""
    unknown = set(args) - {"after", "limit", "resync"}
    if unknown:
        raise BadRequest("unknown feed query parameter")
    if args.get("resync", "1") != "1":
        raise BadRequest("resync must be 1 when present")
    after_text = args.get("after", "0")
    limit_text = args.get("limit", str(DEFAULT_PAGE_ITEMS))
    for text in (after_text, limit_text):
        if not text.isascii() or not text.isdigit() or len(text) > 16:
            raise BadRequest("after and limit must be non-negative integers")
    limit = int(limit_text)
    if limit < 1:
        raise BadRequest("limit must be at least 1")
    return int(after_text), min(limit, MAX_PAGE_ITEMS), "resync" in args


def _check_cursor(after: int, latest_seq: int, retention_floor_seq: int) -> FeedPage | None:
    if after < 0:
        raise BadRequest("after must be non-negative")
    if after > latest_seq:
        raise CursorInFuture(f"cursor {after} is after the latest sequence number")
    if 0 < after < retention_floor_seq:
        return FeedPage(items=(), next_after=0, has_more=True, snapshot_required=True)
    return None


def _cut(sized: Iterable[tuple[int, int]], after: int, limit: int,
         latest_seq: int) -> tuple[int, int, bool]:
    """How many of the (seq, size) items fit the page; returns (count, next_after, has_more)."""
    limit = max(1, min(limit, MAX_PAGE_ITEMS))
    count = total = 0
    previous = after
    has_more = False
    for seq, size in sized:
        if seq <= previous:
            raise ValueError("feed items must have strictly increasing seq after the cursor")
        if size > MAX_ITEM_BYTES:
            raise PayloadTooLarge(f"feed item {seq} exceeds 64 KiB")
        if count >= limit or (count and total + size > MAX_PAGE_BYTES):
            has_more = True
            break
        count += 1
        total += size + 1
        previous = seq
    if not has_more and previous < latest_seq and count >= limit:
        has_more = True
    return count, previous, has_more


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
    snapshot = _check_cursor(after, latest_seq, retention_floor_seq)
    if snapshot is not None:
        return snapshot
    sized = ((item["seq"], len(canonical_dumps(dict(item)))) for item in items_after)
    count, next_after, has_more = _cut(sized, after, limit, latest_seq)
    return FeedPage(items=tuple(dict(item) for item in items_after[:count]),
                    next_after=next_after, has_more=has_more)


def build_encoded_feed_page(
    rows_after: Sequence[tuple[int, bytes]],
    *,
    after: int,
    limit: int,
    latest_seq: int,
    retention_floor_seq: int = 0,
) -> FeedPage:
    """:func:`build_feed_page` from stored items: (seq, canonical JSON bytes) pairs, served
    as they are (the owner encoded and checked them when it signed them)."""
    snapshot = _check_cursor(after, latest_seq, retention_floor_seq)
    if snapshot is not None:
        return snapshot
    count, next_after, has_more = _cut(((seq, len(raw)) for seq, raw in rows_after), after,
                                       limit, latest_seq)
    return FeedPage(items=(), next_after=next_after, has_more=has_more,
                    encoded_items=tuple(raw for _seq, raw in rows_after[:count]))


def check_feed_page(page: Mapping[str, Any], after: int,
                    limit: int = MAX_PAGE_ITEMS) -> None:
    """Reader-side sanity checks: at most ``limit`` items (what the reader asked, never more
    than ``MAX_PAGE_ITEMS``), seqs strictly increasing after the cursor."""
    items = page.get("items")
    if not isinstance(items, list) or len(items) > min(limit, MAX_PAGE_ITEMS):
        raise BadRequest(f"feed page must hold at most {min(limit, MAX_PAGE_ITEMS)} items")
    previous = after
    for item in items:
        seq = item.get("seq") if isinstance(item, dict) else None
        if not isinstance(seq, int) or isinstance(seq, bool) or seq <= previous:
            raise BadRequest("feed page sequence numbers must increase after the cursor")
        previous = seq
    if not page.get("snapshot_required") and items and page.get("next_after") != previous:
        raise BadRequest("next_after must be the seq of the last item")
