"""The compiled fast checks of the federation schemas only ever accept what marshmallow
accepts: every schema is tried on genuine messages and on thousands of mutations of them."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from marshmallow import Schema, ValidationError

import schemas.federation as federation_schemas
from federation.envelope import redact
from federation.keys import SigningKey, build_node_document
from federation.messages import (
    DIRECTORY_ENTRY,
    FEED_HINT,
    build_feed_item,
    build_inbox_message,
)
from federation.schemacheck import fast_check

from .conftest import AIX, FONTAINEBLEAU, T0_MS
from .test_messages import ENTRY

KEY = SigningKey.from_seed(bytes(range(32)))
ODD_VALUES = (None, True, False, 0, -1, 2**53, 2**60, 1.5, "", "x", "é" * 3, "A" * 301,
              "fr\n", [], ["x"], [None], {}, {"k": 1}, b"x", ("x",))


def _item(**overrides: Any) -> dict:
    args = {"owner": AIX, "seq": 1, "item_type": DIRECTORY_ENTRY,
            "object_id": AIX + "/directory/42", "key": KEY, "content": ENTRY,
            "origin_ts": T0_MS, **overrides}
    return build_feed_item(**args)


NAMED = dict(ENTRY, named=True, display_name="Céline", headline="Fiscaliste",
             trade_group="finance", concepts=[
                 {"concept": "tax", "level_band": "confirmed", "generalised": True}])
SAMPLES: dict[type[Schema], list[Any]] = {
    federation_schemas.FeedItemSchema: [
        _item(), _item(content=NAMED), _item(content=None, deleted=True), redact(_item()),
        dict(_item(), unsigned={"age": 1})],
    federation_schemas.DirectoryEntryContentSchema: [ENTRY, NAMED],
    federation_schemas.InboxMessageSchema: [build_inbox_message(
        message_type=FEED_HINT, origin=AIX, destination=FONTAINEBLEAU,
        content={"latest_seq": 5}, key=KEY, origin_ts=T0_MS)],
    federation_schemas.NodeDocumentSchema: [build_node_document(
        node_id=AIX, name="Aix", city="Aix", region="Provence", signing_key=KEY, now=T0_MS)],
    federation_schemas.FeedPageSchema: [
        {"items": [_item()], "next_after": 1, "has_more": False, "snapshot_required": False}],
}


def _mutations(value: Any) -> Iterator[Any]:
    """Copies of ``value`` with one change somewhere: a member dropped, replaced by an odd
    value or added, an element replaced."""
    if isinstance(value, dict):
        for key in value:
            without = dict(value)
            del without[key]
            yield without
            for odd in ODD_VALUES:
                yield dict(value, **{key: copy.deepcopy(odd)})
            for changed in _mutations(value[key]):
                yield dict(value, **{key: changed})
        yield dict(value, extra="x")
    elif isinstance(value, list):
        for index, element in enumerate(value):
            for odd in ODD_VALUES:
                yield value[:index] + [copy.deepcopy(odd)] + value[index + 1:]
            for changed in _mutations(element):
                yield value[:index] + [changed] + value[index + 1:]
        yield value + value[-1:] * 40


def _marshmallow_accepts(schema: Schema, value: Any) -> bool:
    try:
        schema.load(value)
    except (ValidationError, TypeError, ValueError):
        return False
    return True


@pytest.mark.parametrize("schema_cls", list(SAMPLES), ids=lambda cls: cls.__name__)
def test_fast_check_accepts_only_what_marshmallow_accepts(schema_cls):
    check = fast_check(schema_cls)
    assert check is not None, "the hot schemas compile"
    schema = schema_cls()
    tried = accepted = 0
    for sample in SAMPLES[schema_cls]:
        assert check(sample) and _marshmallow_accepts(schema, sample)
        for mutated in _mutations(sample):
            tried += 1
            if check(mutated):
                accepted += 1
                assert _marshmallow_accepts(schema, mutated), mutated
    assert tried > 100 and accepted < tried


def test_schemas_it_cannot_replicate_are_left_to_marshmallow():
    # A custom field class (a zoned date-time) and a load default are not compiled.
    assert fast_check(federation_schemas.EventSessionContentSchema) is None
    assert fast_check(federation_schemas.RegistrationRequestContentSchema) is None
