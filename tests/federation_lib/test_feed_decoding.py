"""A feed page body is parsed as strictly as canonical_loads, whichever path it takes: a
canonical body also yields its items' bytes; anything else is parsed (or refused) strictly."""

from __future__ import annotations

import json

import pytest

from federation.canonical import canonical_dumps, canonical_loads
from federation.client import canonical_items, decode_feed_page
from federation.errors import CanonicalJsonError

ITEMS = [{"seq": 1, "type": "peer.stats", "content": {"name": "Aix-en-Provence é"}},
         {"seq": 2, "type": "x", "deleted": True, "n": [1, -2, None, False]}]
PAGE = {"items": ITEMS, "next_after": 2, "has_more": False, "snapshot_required": False}


def test_a_canonical_page_gives_its_items_bytes():
    body = canonical_dumps(PAGE)
    page = decode_feed_page(body)
    assert page == PAGE == canonical_loads(body)
    assert [form.data for form in canonical_items(page)] == [canonical_dumps(item) for item in ITEMS]
    assert all(form.data in body for form in canonical_items(page))


@pytest.mark.parametrize("body", [
    json.dumps(PAGE).encode(),  # spaces
    json.dumps(PAGE, sort_keys=True, separators=(",", ":")).encode(),  # \u escapes
    canonical_dumps(PAGE) + b"\n",
    canonical_dumps(dict(PAGE, items=[])),
])
def test_other_forms_of_a_valid_page_are_parsed_strictly(body):
    page = decode_feed_page(body)
    assert page == canonical_loads(body)
    if canonical_items(page) is not None:
        assert body == canonical_dumps(page)


@pytest.mark.parametrize("body", [
    b'{"items":[{"seq":1,"seq":1}],"has_more":false,"next_after":1,"snapshot_required":false}',
    b'{"has_more":false,"items":[{"seq":1,"seq":2}],"next_after":2,"snapshot_required":false}',
    b'{"has_more":false,"has_more":false,"items":[],"next_after":0,"snapshot_required":false}',
    b'{"has_more":false,"items":[{"seq":1.5}],"next_after":0,"snapshot_required":false}',
    b'{"has_more":false,"items":[{"seq":NaN}],"next_after":0,"snapshot_required":false}',
    b'{"has_more":false,"items":[{"seq":9007199254740993}],"next_after":0,'
    b'"snapshot_required":false}',
    b'{"has_more":false,"items":[{"name":"e\xcc\x81"}],"next_after":0,"snapshot_required":false}',
    b'{"has_more":false,"items":[{"\xc3\xa9":1}],"next_after":0,"snapshot_required":false}',
    b'{"has_more":false,"items":[{"s":"\\ud800"}],"next_after":0,"snapshot_required":false}',
    b'{"has_more":false,"items":[],"next_after":0,"snapshot_required":false,"\xc3\xa9":1}',
    b'\xef\xbb\xbf{"has_more":false,"items":[],"next_after":0,"snapshot_required":false}',
    b'{"has_more":false,"items":[' + b"[" * 100 + b"]" * 100 + b'],"next_after":0,'
    b'"snapshot_required":false}',
])
def test_what_canonical_loads_refuses_is_refused(body):
    with pytest.raises(CanonicalJsonError):
        canonical_loads(body)
    with pytest.raises(CanonicalJsonError):
        decode_feed_page(body)


def _pages() -> list[bytes]:
    deep = {"a": 1}
    for _ in range(60):  # its innermost value sits at the deepest depth allowed
        deep = {"a": deep}
    items = [
        {"seq": 1, "type": "peer.stats", "owner": "http://127.0.0.1:5001",
         "content": {"name": "Besançon", "count": 2**53 - 1, "low": -(2**53 - 1)}},
        {"seq": 2, "type": "x", "deleted": True, "n": [1, -2, None, False, "é", "\u2028", "\x01"]},
        {"seq": 3, "type": "x", "content": {"ts": 999_999_999_999_999, "q": "\"\\/"}},
        {"seq": 4, "type": "x", "deep": deep},
    ]
    return [canonical_dumps({"items": items[:n], "next_after": n, "has_more": False,
                             "snapshot_required": False}) for n in range(1, len(items) + 1)]


def _mutations(body: bytes, rng) -> list[bytes]:
    out = []
    pieces = [b"9", b"0", b"1.0", b"e5", b" ", b'"', b"\\", b"{", b"[", b"]", b"}", b",",
              b"\xcc\x81", b"\xc3\xa9", b"NaN", b"-", b"99999999", b"\\u0301", b"\\ud800",
              b'"seq":1,', b"true", b"null"]
    for _ in range(400):
        cut = rng.randrange(len(body) + 1)
        kind = rng.randrange(3)
        piece = rng.choice(pieces)
        if kind == 0:
            out.append(body[:cut] + piece + body[cut:])
        elif kind == 1:
            out.append(body[:cut] + piece + body[cut + len(piece):])
        else:
            out.append(body[:cut] + body[cut + rng.randrange(1, 4):])
    return out


def test_the_fast_path_agrees_with_the_strict_parser_on_mutated_pages():
    """Whatever the bytes, decode_feed_page accepts exactly what canonical_loads accepts,
    with the same value; the canonical forms it keeps are each item's canonical bytes, and
    their parts are the canonical bytes of the item reduced to those members."""
    import random

    rng = random.Random(20261128)
    bodies = [body for page in _pages() for body in [page, *_mutations(page, rng)]]
    fast = 0
    for body in bodies:
        try:
            expected = canonical_loads(body)
        except CanonicalJsonError:
            with pytest.raises(CanonicalJsonError):
                decode_feed_page(body)
            continue
        page = decode_feed_page(body)
        assert page == expected
        forms = canonical_items(page)
        if forms is None:
            continue
        fast += 1
        for item, form in zip(page["items"], forms, strict=True):
            assert form.data == canonical_dumps(item)
            kept = sorted(item)[::2]
            assert form.only(kept) == canonical_dumps({k: item[k] for k in kept})
            assert form.without(kept) == canonical_dumps(
                {k: v for k, v in item.items() if k not in kept})
    assert fast > 100  # many pages, mutated ones too, took the fast path
