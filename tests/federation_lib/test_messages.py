import pytest

from federation.envelope import redact, sign_redactable
from federation.errors import (
    BadRequest,
    BadSignature,
    DestinationMismatch,
    ExpiredSignature,
    FederationError,
    OriginMismatch,
    PayloadTooLarge,
)
from federation.messages import (
    DIRECTORY_ENTRY,
    REGISTRATION_REQUEST,
    build_feed_item,
    build_inbox_message,
    make_object_id,
    object_owner,
    verify_feed_item,
    verify_feed_page,
    verify_inbox_message,
)

from .conftest import AIX, FONTAINEBLEAU, T0_MS

ENTRY = {
    "pseudonym": "lccezhbravgzbmjk2gxxquszlz3q5kbw",
    "concepts": [{"concept": "accounting", "level_band": "expert", "generalised": False}],
    "languages": ["fr", "en"],
    "open_to_help": True,
    "open_to_paid": False,
    "open_to_barter": True,
    "trade_group": None,
    "place": {"kind": "city", "value": "Aix-en-Provence"},
    "lease_until_ts": T0_MS + 7 * 86_400_000,
    "named": False,
}


def _item(key, **overrides):
    args = {
        "owner": AIX,
        "seq": 1,
        "item_type": DIRECTORY_ENTRY,
        "object_id": AIX + "/directory/42",
        "key": key,
        "content": ENTRY,
        "origin_ts": T0_MS,
    }
    args.update(overrides)
    return build_feed_item(**args)


def test_object_ids():
    assert make_object_id("https://AIX.example/", "directory/42") == AIX + "/directory/42"
    assert object_owner(AIX + "/directory/42") == AIX
    for bad in (
        "https://aix.example",
        "https://AIX.example/x",
        "aix.example/x",
        "https://aix.example:443/x",
        "https://aix.example/../x y",
    ):
        with pytest.raises(BadRequest):
            object_owner(bad)


def test_feed_item_round_trip(aix_key, add_key, lookup_key):
    add_key(AIX, aix_key)
    item = verify_feed_item(_item(aix_key), AIX, lookup_key, now_ms=T0_MS)
    assert (item.seq, item.type, item.owner, item.deleted) == (1, DIRECTORY_ENTRY, AIX, False)
    assert item.content == ENTRY


def test_tombstone_and_redaction(aix_key, add_key, lookup_key):
    add_key(AIX, aix_key)
    tomb = verify_feed_item(
        _item(aix_key, content=None, deleted=True, seq=2), AIX, lookup_key, now_ms=T0_MS
    )
    assert tomb.deleted and tomb.content is None
    redacted = verify_feed_item(redact(_item(aix_key)), AIX, lookup_key, now_ms=T0_MS)
    assert redacted.is_redacted and redacted.content is None and not redacted.deleted


def test_origin_binding(aix_key, fontainebleau_key, add_key, lookup_key):
    add_key(AIX, aix_key)
    add_key(FONTAINEBLEAU, fontainebleau_key)
    # Aix serves an item claiming an object owned by Fontainebleau.
    forged = sign_redactable(
        {
            "seq": 1,
            "type": DIRECTORY_ENTRY,
            "id": FONTAINEBLEAU + "/directory/1",
            "owner": AIX,
            "origin_ts": T0_MS,
            "deleted": True,
        },
        AIX,
        aix_key,
    )
    with pytest.raises(OriginMismatch):
        verify_feed_item(forged, AIX, lookup_key, now_ms=T0_MS)
    # A genuine Aix item relayed by Fontainebleau as if it were its own.
    with pytest.raises(OriginMismatch):
        verify_feed_item(_item(aix_key), FONTAINEBLEAU, lookup_key, now_ms=T0_MS)
    # Fontainebleau signs an item that claims Aix as owner.
    claimed = sign_redactable(
        {
            "seq": 1,
            "type": DIRECTORY_ENTRY,
            "id": AIX + "/directory/1",
            "owner": AIX,
            "origin_ts": T0_MS,
            "deleted": True,
        },
        FONTAINEBLEAU,
        fontainebleau_key,
    )
    with pytest.raises(BadSignature):
        verify_feed_item(claimed, AIX, lookup_key, now_ms=T0_MS)
    with pytest.raises(OriginMismatch):
        _item(aix_key, object_id=FONTAINEBLEAU + "/directory/1")


def test_feed_item_shape_checks(aix_key, add_key, lookup_key):
    add_key(AIX, aix_key)
    with pytest.raises(BadRequest):
        verify_feed_item(dict(_item(aix_key), extra=1), AIX, lookup_key, now_ms=T0_MS)
    with pytest.raises(ExpiredSignature):  # PROTOCOL §6.1: a future date is refused as such
        verify_feed_item(_item(aix_key, origin_ts=T0_MS + 3_600_000), AIX, lookup_key, now_ms=T0_MS)
    with pytest.raises(BadRequest):
        _item(aix_key, content=dict(ENTRY, display_name="Alice"))
    with pytest.raises(BadRequest):
        _item(aix_key, content=None)
    oversized = dict(_item(aix_key), unsigned={"padding": "x" * 70_000})
    with pytest.raises(PayloadTooLarge):
        verify_feed_item(oversized, AIX, lookup_key, now_ms=T0_MS)


REGISTRATION = {
    "session_id": FONTAINEBLEAU + "/session/9",
    "idempotency_key": "reg-0001-abcd",
    "display_name": "Alice",
}


def _message(key, **overrides):
    args = {
        "message_type": REGISTRATION_REQUEST,
        "origin": AIX,
        "destination": FONTAINEBLEAU,
        "content": REGISTRATION,
        "key": key,
        "message_id": AIX + "/msg/1",
        "origin_ts": T0_MS,
    }
    args.update(overrides)
    return build_inbox_message(**args)


def test_inbox_message_round_trip(aix_key, add_key, lookup_key):
    add_key(AIX, aix_key)
    message = verify_inbox_message(
        _message(aix_key),
        peer_node_id=AIX,
        our_node_id=FONTAINEBLEAU,
        lookup_key=lookup_key,
        now_ms=T0_MS,
    )
    assert message.id == AIX + "/msg/1" and message.content["display_name"] == "Alice"


def test_inbox_message_checks(aix_key, add_key, lookup_key):
    add_key(AIX, aix_key)
    kwargs = {"our_node_id": FONTAINEBLEAU, "lookup_key": lookup_key, "now_ms": T0_MS}
    with pytest.raises(OriginMismatch):
        verify_inbox_message(_message(aix_key), peer_node_id=FONTAINEBLEAU, **kwargs)
    with pytest.raises(DestinationMismatch):
        verify_inbox_message(
            _message(aix_key, destination="https://other.example"), peer_node_id=AIX, **kwargs
        )
    with pytest.raises(OriginMismatch):
        _message(aix_key, message_id=FONTAINEBLEAU + "/msg/1")
    tampered = _message(aix_key)
    tampered["content"] = dict(REGISTRATION, display_name="Mallory")
    with pytest.raises(BadSignature):
        verify_inbox_message(tampered, peer_node_id=AIX, **kwargs)
    with pytest.raises(ExpiredSignature):
        verify_inbox_message(
            _message(aix_key),
            peer_node_id=AIX,
            our_node_id=FONTAINEBLEAU,
            lookup_key=lookup_key,
            now_ms=T0_MS + 8 * 86_400_000,
        )
    with pytest.raises(BadRequest):
        _message(aix_key, content=dict(REGISTRATION, surprise=True))


def _signed_with_content(key, seq: int, content: dict) -> dict:
    """An item signed by its owner whose content its own schema refuses."""
    return sign_redactable({"seq": seq, "type": DIRECTORY_ENTRY, "id": f"{AIX}/directory/{seq}",
                            "owner": AIX, "origin_ts": T0_MS, "deleted": False,
                            "content": content}, AIX, key)


def test_a_page_is_verified_as_its_items_one_after_the_other(aix_key, add_key, lookup_key):
    """A whole page gives the items one by one would give; on a bad page, the error is the
    one of its first bad item, as that item alone would raise it."""
    add_key(AIX, aix_key)
    good = [_item(aix_key, seq=seq, object_id=f"{AIX}/directory/{seq}") for seq in (1, 2)]
    page = verify_feed_page(good, AIX, lookup_key, now_ms=T0_MS)
    assert page == [verify_feed_item(item, AIX, lookup_key, now_ms=T0_MS) for item in good]

    bad_content = _signed_with_content(aix_key, 3, dict(ENTRY, pseudonym="NOT-BASE32"))
    forged = dict(_item(aix_key, seq=4, object_id=f"{AIX}/directory/4"),
                  content=dict(ENTRY, open_to_paid=True))
    malformed = dict(_item(aix_key, seq=5, object_id=f"{AIX}/directory/5"), seq="5")
    oversized = dict(_item(aix_key, seq=6, object_id=f"{AIX}/directory/6"),
                     unsigned={"padding": "x" * 70_000})
    # Signatures that fail the Ed25519 check itself (another item's signature), one of them
    # on an item whose content its schema also refuses: the forgery is what is reported.
    wrong_signature = dict(_item(aix_key, seq=7, object_id=f"{AIX}/directory/7"),
                           signatures=good[0]["signatures"])
    wrong_signature_bad_content = dict(bad_content, signatures=good[1]["signatures"])
    for bad_page, alone in (
        ([*good, wrong_signature, malformed], wrong_signature),
        ([*good, malformed, wrong_signature], malformed),
        ([*good, wrong_signature_bad_content, forged], wrong_signature_bad_content),
        ([*good, bad_content, wrong_signature], bad_content),
        ([wrong_signature, good[1]], wrong_signature),
        ([*good, bad_content, forged], bad_content),
        ([*good, forged, bad_content], forged),
        ([*good, malformed, oversized], malformed),
        ([*good, oversized, malformed], oversized),
        ([forged, malformed], forged),
    ):
        with pytest.raises(FederationError) as expected:
            verify_feed_item(alone, AIX, lookup_key, now_ms=T0_MS)
        with pytest.raises(FederationError) as raised:
            verify_feed_page(bad_page, AIX, lookup_key, now_ms=T0_MS)
        assert type(raised.value) is type(expected.value)
        assert (raised.value.code, raised.value.message) == (
            expected.value.code, expected.value.message)
