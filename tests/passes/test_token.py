"""The pass token of PROTOCOL §11.2: signs, verifies offline, and refuses every altered,
foreign, expired or misdirected pass with its reason."""

from __future__ import annotations

import pytest

from federation import passes as token
from federation.keys import SigningKey

ISSUER, HOST, OTHER = "https://aix.example", "https://fontainebleau.example", "https://lyon.example"
KEY = SigningKey.from_seed(bytes(range(32)))
NOW = 1_700_000_000
SUBJECT = bytes(range(10))


def make(**overrides) -> str:
    args = {"key": KEY, "issuer": ISSUER, "host": HOST, "subject": SUBJECT, "issued": NOW,
            "expires": NOW + 2 * 86400, "name": None, "photo": False}
    args.update(overrides)
    return token.encode(**args)


def keys(fingerprint: bytes):
    return [KEY.public()] if fingerprint == token.fingerprint(ISSUER) else None


def test_a_pass_verifies_offline_and_carries_what_the_member_chose():
    code = make(name="Zoé Martin", photo=True)
    item = token.verify(token.grouped(code).lower(), host=HOST, keys_of=keys, now=NOW + 60)
    assert (item.name, item.photo, item.host) == ("Zoé Martin", True, token.fingerprint(HOST))
    assert len(item.pass_id) == 16 and len(item.subject) == 16
    assert len(make()) == 173  # a pseudonymous pass: 108 bytes (64 of them the signature)
    assert len(code) == 192  # plus the name's 12 bytes


def test_a_pass_for_any_host_verifies_at_each():
    code = make(host=None)
    for host in (HOST, OTHER):
        assert token.verify(code, host=host, keys_of=keys, now=NOW).host is None


@pytest.mark.parametrize(("code", "host", "now", "reason"), [
    (make(), OTHER, NOW, "other_host"),
    (make(), HOST, NOW + 2 * 86400, "expired"),
    (make(issued=NOW + 3600, expires=NOW + 7200), HOST, NOW, "not_yet_valid"),
    (make(key=SigningKey.generate()), HOST, NOW, "bad_signature"),
    (make(issuer=OTHER), HOST, NOW, "not_peer"),
    ("HELLO", HOST, NOW, "malformed"),
    ("not base32 at all!", HOST, NOW, "malformed"),
])
def test_refusals(code, host, now, reason):
    with pytest.raises(token.PassRefused) as refused:
        token.verify(code, host=host, keys_of=keys, now=now)
    assert refused.value.code == reason


def test_any_changed_byte_is_refused():
    raw = token.from_text(make(name="Ana"))
    for position in (1, 5, 20, 30, 38, 45, len(raw) - 1):
        altered = bytearray(raw)
        altered[position] ^= 0x01
        with pytest.raises(token.PassRefused) as refused:
            token.verify(token.to_text(bytes(altered)), host=HOST, keys_of=keys, now=NOW)
        assert refused.value.code in ("bad_signature", "malformed", "not_peer", "other_host")


def test_validity_is_at_most_three_days():
    with pytest.raises(ValueError):
        make(expires=NOW + token.MAX_VALIDITY_S + 1)
