import pytest

from federation.canonical import canonical_dumps
from federation.errors import BadRequest, BadSignature, ExpiredSignature, UnknownKey
from federation.keys import (
    KeyRecord,
    NodeDocument,
    SigningKey,
    VerifyKey,
    build_node_document,
    revoke,
    rotate,
    verify_node_document,
    verify_rotation,
)

from .conftest import AIX, T0_MS

DAY_MS = 24 * 3600 * 1000
SEED_KEY_ID = "ed25519:Vkdap1RjR0wChd9d"
SEED_PUBLIC = "A6EHv_POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg"


def test_known_answer_key(aix_key):
    assert aix_key.key_id == SEED_KEY_ID
    assert aix_key.public().to_b64() == SEED_PUBLIC
    # RFC 8032 defines the public key of this seed; raw bytes must match byte for byte.
    assert aix_key.public().public_bytes.hex() == (
        "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"
    )


def test_serialisation_round_trips(aix_key):
    assert SigningKey.from_private_bytes(aix_key.to_private_bytes()).key_id == SEED_KEY_ID
    assert SigningKey.from_pem(aix_key.to_pem()).key_id == SEED_KEY_ID
    assert SigningKey.from_pem(aix_key.to_pem(b"pw"), b"pw").key_id == SEED_KEY_ID
    assert VerifyKey.from_b64(SEED_PUBLIC) == aix_key.public()
    assert "SigningKey" in repr(aix_key) and aix_key.to_private_bytes().hex() not in repr(aix_key)


def test_sign_verify_raw(aix_key, fontainebleau_key):
    sig = aix_key.sign(b"hello")
    aix_key.public().verify(sig, b"hello")
    with pytest.raises(BadSignature):
        aix_key.public().verify(sig, b"hellO")
    with pytest.raises(BadSignature):
        fontainebleau_key.public().verify(sig, b"hello")
    with pytest.raises(BadSignature):
        aix_key.public().verify(sig[:10], b"hello")


def test_key_record_validity():
    record = KeyRecord("k", "x", valid_from=100, valid_until=200)
    assert not record.is_valid_at(99)
    assert record.is_valid_at(100) and record.is_valid_at(199)
    assert not record.is_valid_at(200)
    revoked = revoke(record, 150)
    assert revoked.is_valid_at(149) and not revoked.is_valid_at(150)


def test_key_record_rejects_mismatched_key_id(aix_key, fontainebleau_key):
    forged = KeyRecord(aix_key.key_id, fontainebleau_key.public().to_b64())
    with pytest.raises(UnknownKey):
        forged.verify_key()


def _document(key, **kwargs):
    args = {"node_id": AIX, "name": "Aix", "city": "Aix-en-Provence", "region": "PACA"}
    args.update(kwargs)
    return build_node_document(signing_key=key, now=T0_MS, **args)


def test_node_document_known_answer(aix_key):
    doc = _document(aix_key)
    assert doc["signatures"] == {
        AIX: {
            SEED_KEY_ID: "d428ajJb5S8kz0JjZAxiH81xJTUwI9ZmqZmPGC-_txX0KtoA89ONS3ZiWV_hKiGRN2ubjl4pkCic00FzhXgMBQ"
        }
    }
    parsed = verify_node_document(doc, expected_node_id="https://AIX.example/", now=T0_MS + 1)
    assert parsed.lookup(SEED_KEY_ID) == KeyRecord(SEED_KEY_ID, SEED_PUBLIC)
    assert doc["verify_keys"] == {SEED_KEY_ID: {"key": SEED_PUBLIC, "valid_from_ts": 0}}


def test_node_document_validity_is_capped(aix_key):
    doc = _document(aix_key, valid_for_ms=365 * DAY_MS)
    assert doc["valid_until_ts"] == T0_MS + 7 * DAY_MS
    parsed = NodeDocument.from_dict(doc)
    assert parsed.cache_until(T0_MS) == T0_MS + 7 * DAY_MS


@pytest.mark.parametrize(
    "tamper",
    [
        lambda d: d.update(name="Evil"),
        lambda d: d.update(region="Elsewhere"),
        lambda d: d["verify_keys"][SEED_KEY_ID].update(valid_from_ts=5),
    ],
)
def test_node_document_tamper_fails(aix_key, tamper):
    doc = _document(aix_key)
    tamper(doc)
    with pytest.raises(BadSignature):
        verify_node_document(doc, expected_node_id=AIX, now=T0_MS)


def test_node_document_other_checks(aix_key, fontainebleau_key):
    doc = _document(aix_key)
    with pytest.raises(BadSignature):
        verify_node_document(doc, expected_node_id="https://other.example", now=T0_MS)
    with pytest.raises(ExpiredSignature):
        verify_node_document(doc, expected_node_id=AIX, now=doc["valid_until_ts"])
    # Signed by a key that is not one of its own current keys.
    impostor = dict(doc, signatures={AIX: {fontainebleau_key.key_id: "AAAA"}})
    with pytest.raises(UnknownKey):
        verify_node_document(impostor, expected_node_id=AIX, now=T0_MS)
    with pytest.raises(BadRequest):
        verify_node_document(dict(doc, extra=1), expected_node_id=AIX, now=T0_MS)
    unsigned = {k: v for k, v in doc.items() if k != "signatures"}
    with pytest.raises(BadRequest):
        verify_node_document(unsigned, expected_node_id=AIX, now=T0_MS)


def test_rotation(aix_key):
    new_key = SigningKey.from_seed(bytes([7]) * 32)
    result = rotate(aix_key, AIX, now=T0_MS, overlap_ms=DAY_MS, new_key=new_key)
    assert result.new_key is new_key
    assert result.old_record.valid_until == T0_MS + DAY_MS
    assert result.new_record.valid_from == T0_MS
    assert verify_rotation(result.endorsement, result.old_record, AIX) == result.new_record

    doc = build_node_document(
        node_id=AIX,
        name="Aix",
        city="Aix",
        region="PACA",
        signing_key=new_key,
        signing_key_valid_from=T0_MS,
        other_keys=[result.old_record],
        now=T0_MS,
    )
    assert set(doc["old_verify_keys"]) == {aix_key.key_id}
    assert doc["old_verify_keys"][aix_key.key_id]["expired_ts"] == T0_MS + DAY_MS
    parsed = verify_node_document(doc, expected_node_id=AIX, now=T0_MS)
    old = parsed.lookup(aix_key.key_id)
    assert old is not None
    assert old.is_valid_at(T0_MS + DAY_MS - 1)
    assert not old.is_valid_at(T0_MS + DAY_MS)

    forged = dict(result.endorsement, new_key=SEED_PUBLIC)
    with pytest.raises(BadSignature):
        verify_rotation(forged, result.old_record, AIX)


def test_revoked_key_is_listed_and_rejected(aix_key):
    new_key = SigningKey.from_seed(bytes([7]) * 32)
    revoked = revoke(KeyRecord.for_key(aix_key), T0_MS - 10)
    doc = build_node_document(
        node_id=AIX,
        name="Aix",
        city="Aix",
        region="PACA",
        signing_key=new_key,
        other_keys=[revoked],
        now=T0_MS,
    )
    assert doc["revoked_keys"][aix_key.key_id]["revoked_ts"] == T0_MS - 10
    record = verify_node_document(doc, expected_node_id=AIX, now=T0_MS).lookup(aix_key.key_id)
    assert record is not None
    # A revoked key signs nothing, even dated before its revocation (PROTOCOL §3.4).
    for moment in (T0_MS, T0_MS - 11):
        with pytest.raises(ExpiredSignature):
            record.check_valid_at(moment)


def test_document_signed_with_revoked_key_fails(aix_key):
    doc = _document(aix_key)
    entry = doc["verify_keys"].pop(SEED_KEY_ID)
    doc["revoked_keys"] = {SEED_KEY_ID: dict(entry, revoked_ts=0)}
    body = {k: v for k, v in doc.items() if k != "signatures"}
    doc["signatures"] = {AIX: {SEED_KEY_ID: aix_key.sign(canonical_dumps(body)).hex()}}
    with pytest.raises(BadRequest):
        verify_node_document(doc, expected_node_id=AIX, now=T0_MS)
