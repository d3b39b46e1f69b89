"""Signed objects with detached signatures (in the manner of Matrix events).

An object is signed over the canonical JSON of itself without its ``signatures`` and
``unsigned`` members, so it verifies wherever it travels: cached, relayed or backfilled.

Redactable objects (feed items) are signed over a *skeleton* that contains a hash of the full
content. Stripping the content (erasure) leaves an object whose signature still verifies.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from federation.canonical import CanonicalObject, canonical_dumps, canonical_loads
from federation.encoding import b64url_decode, b64url_encode
from federation.errors import BadRequest, BadSignature, UnknownKey
from federation.keys import KeyRecord, SigningKey

if TYPE_CHECKING:
    from federation.verifier import VerifiedSignatures

logger = logging.getLogger(__name__)

KeyLookup = Callable[[str, str], KeyRecord | None]
"""``lookup_key(signer, key_id)`` returns the signer's record of that key, or ``None``."""

UNSIGNED_MEMBERS = ("signatures", "unsigned")
SKELETON_MEMBERS = ("id", "type", "owner", "seq", "origin_ts", "deleted", "hashes")
MAX_SIGNATURES_PER_SIGNER = 4
_NOT_HASHED = frozenset((*UNSIGNED_MEMBERS, "hashes"))
_SKELETON = frozenset(SKELETON_MEMBERS)
_SKELETON_OR_UNSIGNED = frozenset((*SKELETON_MEMBERS, *UNSIGNED_MEMBERS))


def _signable(obj: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(obj, Mapping):
        raise BadRequest("a signed object must be a JSON object")
    return {k: v for k, v in obj.items() if k not in UNSIGNED_MEMBERS}


def sign_object(obj: Mapping[str, Any], signer: str, key: SigningKey) -> dict[str, Any]:
    """Return a copy of ``obj`` with ``signer``'s signature added under ``signatures``."""
    signature = b64url_encode(key.sign(canonical_dumps(_signable(obj))))
    return _with_signature(obj, signer, key.key_id, signature)


def _with_signature(
    obj: Mapping[str, Any], signer: str, key_id: str, signature: str
) -> dict[str, Any]:
    result = copy.deepcopy(dict(obj))
    signatures = result.get("signatures") or {}
    signatures.setdefault(signer, {})[key_id] = signature
    result["signatures"] = signatures
    return result


def _check_signatures(
    obj: Mapping[str, Any],
    data: bytes,
    expected_signer: str,
    lookup_key: KeyLookup,
    at_ts_ms: int,
    checks: VerifiedSignatures | None = None,
) -> None:
    signatures = obj.get("signatures")
    if not isinstance(signatures, dict):
        raise BadSignature("object has no signatures")
    # Signatures by anyone else are ignored: only the expected signer counts.
    own = signatures.get(expected_signer)
    if not isinstance(own, dict) or not own:
        raise BadSignature("object is not signed by the expected signer")
    if len(own) > MAX_SIGNATURES_PER_SIGNER:
        raise BadSignature("too many signatures")
    verified = 0
    for key_id, sig in own.items():
        record = lookup_key(expected_signer, key_id)
        if record is None:
            continue
        if record.key_id != key_id:
            raise UnknownKey("key lookup returned another key")
        record.check_valid_at(at_ts_ms)
        if not isinstance(sig, str):
            raise BadSignature("signature must be a string")
        try:
            raw = b64url_decode(sig)
        except BadRequest as exc:
            raise BadSignature("signature is not base64url") from exc
        if checks is None:
            record.verify_key().verify(raw, data)
        else:
            checks.verify(record.verify_key(), raw, data)
        verified += 1
    if not verified:
        raise UnknownKey("no known key of the signer signed this object")


def verify_object(
    obj: Mapping[str, Any],
    expected_signer: str,
    lookup_key: KeyLookup,
    at_ts_ms: int,
) -> dict[str, Any]:
    """Verify ``expected_signer``'s signature on ``obj``; return the verified content.

    The returned dict is re-parsed from the very bytes that were verified, so callers act
    on exactly what was signed. Raises BadSignature, UnknownKey or ExpiredSignature.
    """
    data = canonical_dumps(_signable(obj))
    _check_signatures(obj, data, expected_signer, lookup_key, at_ts_ms)
    verified = canonical_loads(data)
    assert isinstance(verified, dict)
    return verified


def _hashed_body(obj: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in _signable(obj).items() if k != "hashes"}


def _hash_of(body: bytes) -> str:
    return "sha256:" + b64url_encode(hashlib.sha256(body).digest())


def content_hash(obj: Mapping[str, Any], *, checked: bool = False) -> str:
    """``sha256:`` + base64url SHA-256 of the object without signatures, unsigned and hashes."""
    return _hash_of(canonical_dumps(_hashed_body(obj), checked=checked))


def redact(obj: Mapping[str, Any]) -> dict[str, Any]:
    """Strip an object down to its signed skeleton (ids, sequence, content hash, signatures)."""
    keep = (*SKELETON_MEMBERS, "signatures")
    return {k: copy.deepcopy(v) for k, v in obj.items() if k in keep}


def _skeleton(obj: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k in SKELETON_MEMBERS}


def sign_redactable(obj: Mapping[str, Any], signer: str, key: SigningKey) -> dict[str, Any]:
    """Add the content hash to ``obj`` and sign its skeleton, so it survives redaction."""
    hashed = dict(_signable(obj), hashes={"sha256": content_hash(obj)})
    signature = b64url_encode(key.sign(canonical_dumps(_skeleton(hashed))))
    result = dict(obj, hashes=hashed["hashes"])
    return _with_signature(result, signer, key.key_id, signature)


def is_redacted(obj: Mapping[str, Any]) -> bool:
    """True when ``obj`` holds nothing beyond its skeleton and signatures."""
    return obj.keys() <= _SKELETON_OR_UNSIGNED


def verify_redactable(
    obj: Mapping[str, Any],
    expected_signer: str,
    lookup_key: KeyLookup,
    at_ts_ms: int,
    *,
    checked: bool = False,
    form: CanonicalObject | None = None,
    checks: VerifiedSignatures | None = None,
) -> dict[str, Any]:
    """Verify a redactable object, full or redacted; return the verified object.

    The signature covers the skeleton; a full object must also match its content hash,
    otherwise someone changed the content (BadSignature). ``checked``: ``obj`` already passed
    the canonical JSON checks (the caller encoded it), so its parts are not walked again.
    ``form``: ``obj``'s canonical form (:func:`federation.canonical.canonical_object`, which
    implies ``checked``): the signed and hashed bytes are cut from it, and since ``obj``
    encodes to exactly those bytes, its members are what was verified (no second parse).
    ``checks``: signatures already verified elsewhere (:mod:`federation.verifier`).
    """
    hashes = obj.get("hashes")
    if not isinstance(hashes, dict) or not isinstance(hashes.get("sha256"), str):
        raise BadSignature("object has no content hash")
    if form is not None:
        data = form.only(_SKELETON)
    else:
        data = canonical_dumps(_skeleton(obj), checked=checked)
    _check_signatures(obj, data, expected_signer, lookup_key, at_ts_ms, checks)
    redacted = is_redacted(obj)
    if not redacted:
        body = (form.without(_NOT_HASHED) if form is not None
                else canonical_dumps(_hashed_body(obj), checked=checked))
        if _hash_of(body) != hashes["sha256"]:
            raise BadSignature("content does not match the signed content hash")
    if form is not None:
        return {k: v for k, v in obj.items() if k not in UNSIGNED_MEMBERS}
    if redacted:
        verified = canonical_loads(data)
    else:
        # A fresh copy of exactly what was verified (the hashed body and the signed hashes);
        # bytes we just encoded need no strict parse.
        load = json.loads if checked else canonical_loads
        verified = load(body)
        verified["hashes"] = load(canonical_dumps(hashes, checked=checked))
    assert isinstance(verified, dict)
    return verified
