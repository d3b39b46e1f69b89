"""A feed page body is parsed as strictly as canonical_loads, whichever path it takes: a
canonical body also yields its items' bytes; anything else is parsed (or refused) strictly."""

from __future__ import annotations

import json

import pytest

from federation.canonical import canonical_dumps, canonical_loads
from federation.client import decode_feed_page, encoded_items
from federation.errors import CanonicalJsonError

ITEMS = [{"seq": 1, "type": "peer.stats", "content": {"name": "Aix-en-Provence é"}},
         {"seq": 2, "type": "x", "deleted": True, "n": [1, -2, None, False]}]
PAGE = {"items": ITEMS, "next_after": 2, "has_more": False, "snapshot_required": False}


def test_a_canonical_page_gives_its_items_bytes():
    body = canonical_dumps(PAGE)
    page = decode_feed_page(body)
    assert page == PAGE == canonical_loads(body)
    assert encoded_items(page) == [canonical_dumps(item) for item in ITEMS]
    assert all(raw in body for raw in encoded_items(page))


@pytest.mark.parametrize("body", [
    json.dumps(PAGE).encode(),  # spaces
    json.dumps(PAGE, sort_keys=True, separators=(",", ":")).encode(),  # \u escapes
    canonical_dumps(PAGE) + b"\n",
    canonical_dumps(dict(PAGE, items=[])),
])
def test_other_forms_of_a_valid_page_are_parsed_strictly(body):
    page = decode_feed_page(body)
    assert page == canonical_loads(body)
    if encoded_items(page) is not None:
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
