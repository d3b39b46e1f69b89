import pytest

from federation.envelope import (
    content_hash,
    redact,
    sign_object,
    sign_redactable,
    verify_object,
    verify_redactable,
)
from federation.errors import BadSignature, ExpiredSignature, UnknownKey

from .conftest import AIX, FONTAINEBLEAU, T0_MS

KNOWN_SIG = "sR8F5Dh2VpHpik0G2Gu5E4M9yubgCEaKQwRbRVoDskkmFfTAwyu7XkprGXEB7DsEo3txYgEzGZH_fVKLQXDgBQ"


def test_known_answer(aix_key):
    signed = sign_object({"a": 1, "b": "é"}, AIX, aix_key)
    assert signed["signatures"] == {AIX: {aix_key.key_id: KNOWN_SIG}}


def test_sign_verify_ignores_unsigned(aix_key, add_key, lookup_key):
    add_key(AIX, aix_key)
    signed = sign_object({"a": 1, "unsigned": {"age": 3}}, AIX, aix_key)
    signed["unsigned"] = {"age": 99}
    assert verify_object(signed, AIX, lookup_key, T0_MS) == {"a": 1}


def test_tamper_fails(aix_key, add_key, lookup_key):
    add_key(AIX, aix_key)
    signed = sign_object({"a": 1}, AIX, aix_key)
    signed["a"] = 2
    with pytest.raises(BadSignature):
        verify_object(signed, AIX, lookup_key, T0_MS)


def test_only_expected_signer_counts(aix_key, fontainebleau_key, add_key, lookup_key):
    add_key(AIX, aix_key)
    add_key(FONTAINEBLEAU, fontainebleau_key)
    by_f = sign_object({"a": 1}, FONTAINEBLEAU, fontainebleau_key)
    with pytest.raises(BadSignature):
        verify_object(by_f, AIX, lookup_key, T0_MS)
    # A second, bogus signature by someone else is ignored.
    both = sign_object({"a": 1}, AIX, aix_key)
    both["signatures"][FONTAINEBLEAU] = {fontainebleau_key.key_id: "AAAA"}
    assert verify_object(both, AIX, lookup_key, T0_MS) == {"a": 1}
    # A key of another signer does not count for AIX.
    claimed = {"a": 1, "signatures": {AIX: by_f["signatures"][FONTAINEBLEAU]}}
    with pytest.raises(UnknownKey):
        verify_object(claimed, AIX, lookup_key, T0_MS)


def test_key_validity_window(aix_key, add_key, lookup_key):
    add_key(AIX, aix_key, valid_from=0, valid_until=T0_MS)
    signed = sign_object({"a": 1}, AIX, aix_key)
    verify_object(signed, AIX, lookup_key, T0_MS - 1)
    with pytest.raises(ExpiredSignature):
        verify_object(signed, AIX, lookup_key, T0_MS)


def test_revoked_key_signs_nothing_whatever_the_date(aix_key, add_key, lookup_key):
    """PROTOCOL §3.4: a thief dates what they sign before ``revoked_ts``; a revoked key is
    refused for an object dated before its revocation as well as after."""
    add_key(AIX, aix_key, valid_from=0, revoked_at=T0_MS)
    signed = sign_object({"a": 1}, AIX, aix_key)
    for moment in (T0_MS - 1, T0_MS, T0_MS + 5):
        with pytest.raises(ExpiredSignature):
            verify_object(signed, AIX, lookup_key, moment)


def test_bad_signature_encoding(aix_key, add_key, lookup_key):
    add_key(AIX, aix_key)
    signed = sign_object({"a": 1}, AIX, aix_key)
    signed["signatures"][AIX][aix_key.key_id] += "="
    with pytest.raises(BadSignature):
        verify_object(signed, AIX, lookup_key, T0_MS)


ITEM = {
    "id": AIX + "/directory/1",
    "type": "directory.entry",
    "owner": AIX,
    "seq": 4,
    "origin_ts": T0_MS,
    "deleted": False,
    "content": {"pseudonym": "abc", "languages": ["fr"]},
}


def test_redactable_full_and_redacted_verify(aix_key, add_key, lookup_key):
    add_key(AIX, aix_key)
    signed = sign_redactable(ITEM, AIX, aix_key)
    assert signed["hashes"]["sha256"] == content_hash(ITEM)
    assert verify_redactable(signed, AIX, lookup_key, T0_MS)["content"] == ITEM["content"]
    stripped = redact(signed)
    assert "content" not in stripped
    assert set(stripped) == {
        "id",
        "type",
        "owner",
        "seq",
        "origin_ts",
        "deleted",
        "hashes",
        "signatures",
    }
    assert verify_redactable(stripped, AIX, lookup_key, T0_MS)["seq"] == 4


def test_redactable_content_tamper_fails(aix_key, add_key, lookup_key):
    add_key(AIX, aix_key)
    signed = sign_redactable(ITEM, AIX, aix_key)
    signed["content"] = {"pseudonym": "xyz", "languages": ["fr"]}
    with pytest.raises(BadSignature):
        verify_redactable(signed, AIX, lookup_key, T0_MS)
    skeleton_tamper = redact(sign_redactable(ITEM, AIX, aix_key))
    skeleton_tamper["deleted"] = True
    with pytest.raises(BadSignature):
        verify_redactable(skeleton_tamper, AIX, lookup_key, T0_MS)
