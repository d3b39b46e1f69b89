"""The examples in docs/PROTOCOL.md are real: rebuild them from the seed key and compare."""

from pathlib import Path

import pytest

from federation.canonical import canonical_dumps
from federation.httpsig import sign_request
from federation.keys import build_node_document
from federation.messages import build_feed_item, build_inbox_message

from .conftest import AIX, FONTAINEBLEAU, T0_MS

PROTOCOL = Path(__file__).resolve().parents[2] / "docs" / "PROTOCOL.md"


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
