"""The examples in docs/PROTOCOL.md are real: rebuild them from the seed key and compare."""

import json
import re
from pathlib import Path

import pytest

from federation.canonical import canonical_dumps
from federation.errors import ImplausibleValue
from federation.httpsig import sign_request
from federation.keys import KeyRecord, build_node_document, verify_node_document
from federation.messages import (
    build_feed_item,
    build_inbox_message,
    verify_feed_item,
    verify_inbox_message,
)
from federation.plausibility import check_plausible
from node.members.thesaurus import LEVEL_BANDS
from schemas.federation import CONTENT_SCHEMAS

from .conftest import AIX, FONTAINEBLEAU, T0_MS

PROTOCOL = Path(__file__).resolve().parents[2] / "docs" / "PROTOCOL.md"
SKILLS = Path(__file__).resolve().parents[2] / "node" / "data" / "skills.json"


@pytest.fixture(scope="module")
def protocol_text() -> str:
    return PROTOCOL.read_text(encoding="utf-8")


def test_node_document_example(protocol_text, aix_key):
    doc = build_node_document(
        node_id=AIX,
        name="Coworking Aix",
        city="Aix-en-Provence",
        region="Provence-Alpes-Côte d'Azur",
        signing_key=aix_key,
        now=T0_MS,
    )
    assert doc["signatures"][AIX][aix_key.key_id] in protocol_text


def test_feed_item_examples(protocol_text, aix_key):
    from .test_messages import ENTRY

    content = dict(ENTRY, languages=["fr", "en"], lease_until_ts=T0_MS + 7 * 86_400_000)
    item = build_feed_item(
        owner=AIX,
        seq=42,
        item_type="directory.entry",
        object_id=AIX + "/directory/lccezhbr",
        key=aix_key,
        content=content,
        origin_ts=T0_MS,
    )
    tomb = build_feed_item(
        owner=AIX,
        seq=43,
        item_type="directory.entry",
        object_id=AIX + "/directory/lccezhbr",
        key=aix_key,
        deleted=True,
        origin_ts=T0_MS + 1000,
    )
    for signed in (item, tomb):
        assert signed["signatures"][AIX][aix_key.key_id] in protocol_text


def test_inbox_and_http_signature_examples(protocol_text, aix_key):
    message = build_inbox_message(
        message_type="registration.request",
        origin=AIX,
        destination=FONTAINEBLEAU,
        content={
            "session_id": FONTAINEBLEAU + "/session/17",
            "idempotency_key": "reg-8f3a2c91",
            "display_name": "Alice M.",
        },
        key=aix_key,
        message_id=AIX + "/msg/registration/8f3a2c91",
        origin_ts=T0_MS,
    )
    body = canonical_dumps(message)
    assert body.decode() in protocol_text
    headers = sign_request(
        "POST",
        FONTAINEBLEAU + "/federation/v1/inbox",
        body,
        AIX,
        aix_key,
        now=T0_MS // 1000,
        nonce="bm9uY2Utb2YtZXhhbXBsZQ",
    )
    for name, value in headers.items():
        assert f"{name}: {value}" in protocol_text


# --- every JSON example of the spec verifies, as a receiver would check it -------------------

def _json_blocks(text: str) -> list[str]:
    """The ```json blocks that are examples; shapes with placeholders (``<feed item>``,
    ``"ed25519:…"``) are templates, not examples."""
    blocks = re.findall(r"```json\n(.*?)```", text, re.S)
    return [b for b in blocks if "…" not in b and "<" not in b]


def _objects(block: str) -> list[dict]:
    """The JSON objects of one block: a whole document, or several objects one after the
    other (the "other content examples")."""
    decoder, objects, index = json.JSONDecoder(), [], 0
    while index < len(block):
        if block[index].isspace():
            index += 1
            continue
        obj, index = decoder.raw_decode(block, index)
        objects.append(obj)
    return objects


def _lookup(key):
    record = KeyRecord.for_key(key)
    return lambda signer, key_id: record if key_id == record.key_id else None


def test_every_signed_example_verifies(protocol_text, aix_key):
    blocks = [_objects(b) for b in _json_blocks(protocol_text)]
    signed = [obj for objects in blocks for obj in objects if "signatures" in obj]
    kinds = set()
    for obj in signed:
        if "verify_keys" in obj:
            verify_node_document(obj, expected_node_id=AIX, now=T0_MS)
            kinds.add("node document")
        elif "seq" in obj:
            item = verify_feed_item(obj, AIX, _lookup(aix_key), now_ms=T0_MS + 1000)
            kinds.add("tombstone" if item.deleted else "feed item")
        else:
            verify_inbox_message(obj, peer_node_id=AIX, our_node_id=FONTAINEBLEAU,
                                 lookup_key=_lookup(aix_key), now_ms=T0_MS)
            kinds.add("inbox message")
    assert kinds == {"node document", "feed item", "tombstone", "inbox message"}


def _schemas_accepting(obj: dict) -> list[str]:
    accepted = []
    for message_type, schema in CONTENT_SCHEMAS.items():
        if schema().validate(obj):
            continue
        try:
            check_plausible(message_type, obj)
        except ImplausibleValue:
            continue
        accepted.append(message_type)
    return accepted


def test_every_content_example_is_valid_for_its_type(protocol_text):
    contents = [obj for block in _json_blocks(protocol_text) for obj in _objects(block)
                if "signatures" not in obj and "items" not in obj]
    assert len(contents) >= 10
    for obj in contents:
        assert _schemas_accepting(obj), obj


def test_the_directory_example_holds_what_the_node_produces(protocol_text):
    """Its concept is a thesaurus concept id (not a label), its level band one the node
    sends."""
    concept_ids = {c["id"] for c in json.loads(SKILLS.read_text(encoding="utf-8"))["concepts"]}
    produced = set(LEVEL_BANDS.values())
    entries = [obj for block in _json_blocks(protocol_text) for obj in _objects(block)
               if obj.get("type") == "directory.entry" and "content" in obj]
    assert entries
    for entry in entries:
        for concept in entry["content"]["concepts"]:
            assert concept["concept"] in concept_ids
            assert concept["level_band"] in produced
