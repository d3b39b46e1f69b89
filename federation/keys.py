"""Ed25519 signing keys, key records, rotation and node documents.

A node signs with one current :class:`SigningKey`. Peers learn its public keys from the
node document served at ``GET /.well-known/coworknet``: current keys in ``verify_keys``,
rotated-out keys in ``old_verify_keys`` (with ``expired_ts``) and compromised keys in
``revoked_keys`` (with ``revoked_ts``). The algorithm always comes from the key record;
Ed25519 is the only one in protocol v1.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from marshmallow import ValidationError

from federation.canonical import canonical_dumps
from federation.encoding import b64url_decode, b64url_encode
from federation.errors import BadRequest, BadSignature, ExpiredSignature, UnknownKey
from federation.nodeid import normalize_node_id
from schemas.federation import NodeDocumentSchema

logger = logging.getLogger(__name__)

ALGORITHM = "ed25519"
KEY_ID_PREFIX = "ed25519:"
KEY_ID_FINGERPRINT_CHARS = 16
PROTOCOL_VERSIONS = ("1",)
MAX_DOCUMENT_VALIDITY_MS = 7 * 24 * 3600 * 1000
DEFAULT_DOCUMENT_VALIDITY_MS = 24 * 3600 * 1000
DEFAULT_ROTATION_OVERLAP_MS = 7 * 24 * 3600 * 1000
ROTATION_TYPE = "key.rotation"


def now_ms() -> int:
    """Current UNIX time in milliseconds."""
    return time.time_ns() // 1_000_000


def key_id_for(public_bytes: bytes) -> str:
    """``ed25519:`` + the first 16 base64url characters of SHA-256(raw public key)."""
    digest = hashlib.sha256(public_bytes).digest()
    return KEY_ID_PREFIX + b64url_encode(digest)[:KEY_ID_FINGERPRINT_CHARS]


class VerifyKey:
    """An Ed25519 public key with its key id; the parsed key object is kept for speed."""

    __slots__ = ("_key", "key_id", "public_bytes")

    def __init__(self, public_bytes: bytes) -> None:
        if len(public_bytes) != 32:
            raise BadRequest("an Ed25519 public key is 32 bytes")
        self.public_bytes = bytes(public_bytes)
        self._key = Ed25519PublicKey.from_public_bytes(self.public_bytes)
        self.key_id = key_id_for(self.public_bytes)

    @classmethod
    def from_b64(cls, text: str) -> VerifyKey:
        return _verify_key_from_b64(text)

    def to_b64(self) -> str:
        return b64url_encode(self.public_bytes)

    def verify(self, signature: bytes, data: bytes) -> None:
        """Verify an Ed25519 ``signature`` over ``data``; raise :class:`BadSignature` if wrong."""
        if len(signature) != 64:
            raise BadSignature("an Ed25519 signature is 64 bytes")
        try:
            self._key.verify(signature, data)
        except InvalidSignature as exc:
            raise BadSignature("signature does not verify") from exc

    def __eq__(self, other: object) -> bool:
        return isinstance(other, VerifyKey) and other.public_bytes == self.public_bytes

    def __hash__(self) -> int:
        return hash(self.public_bytes)

    def __repr__(self) -> str:
        return f"VerifyKey({self.key_id!r})"


@functools.lru_cache(maxsize=1024)
def _verify_key_from_b64(text: str) -> VerifyKey:
    return VerifyKey(b64url_decode(text))


class SigningKey:
    """An Ed25519 private key and its key id. ``repr`` never shows the secret."""

    __slots__ = ("_key", "_public")

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self._public = VerifyKey(
            private_key.public_key().public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
        )

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_seed(cls, seed: bytes) -> SigningKey:
        if len(seed) != 32:
            raise ValueError("an Ed25519 seed is 32 bytes")
        return cls(Ed25519PrivateKey.from_private_bytes(bytes(seed)))

    from_private_bytes = from_seed

    def to_private_bytes(self) -> bytes:
        return self._key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )

    def to_pem(self, password: bytes | None = None) -> bytes:
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(password)
            if password
            else serialization.NoEncryption()
        )
        return self._key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        )

    @classmethod
    def from_pem(cls, pem: bytes, password: bytes | None = None) -> SigningKey:
        key = serialization.load_pem_private_key(pem, password=password)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("PEM does not hold an Ed25519 private key")
        return cls(key)

    @property
    def key_id(self) -> str:
        return self._public.key_id

    def public(self) -> VerifyKey:
        return self._public

    def sign(self, data: bytes) -> bytes:
        """Sign raw bytes; returns the 64-byte Ed25519 signature."""
        return self._key.sign(data)

    def __repr__(self) -> str:
        return f"SigningKey({self.key_id!r})"


@dataclass(frozen=True)
class KeyRecord:
    """What a node knows about one public key of one signer."""

    key_id: str
    public_key_b64: str
    valid_from: int = 0
    valid_until: int | None = None
    revoked_at: int | None = None

    def is_valid_at(self, ts_ms: int) -> bool:
        if ts_ms < self.valid_from:
            return False
        if self.valid_until is not None and ts_ms >= self.valid_until:
            return False
        return self.revoked_at is None or ts_ms < self.revoked_at

    def check_valid_at(self, ts_ms: int) -> None:
        """Raise :class:`ExpiredSignature` unless the key may sign at ``ts_ms``.

        A revoked key signs nothing any more, whatever date the object claims (PROTOCOL
        §3.4): whoever stole it can date what they sign before ``revoked_ts``. The owner
        re-signs what the key had signed, and readers resynchronise on learning of it."""
        if self.revoked_at is not None:
            raise ExpiredSignature(f"key {self.key_id} is revoked")
        if not self.is_valid_at(ts_ms):
            raise ExpiredSignature(f"key {self.key_id} is not valid at that time")

    def verify_key(self) -> VerifyKey:
        """The public key; refuses a record whose key id does not match its key."""
        try:
            key = VerifyKey.from_b64(self.public_key_b64)
        except (BadRequest, ValueError) as exc:
            raise UnknownKey(f"key {self.key_id} is malformed") from exc
        if key.key_id != self.key_id:
            raise UnknownKey("key id does not match the public key")
        return key

    @classmethod
    def for_key(
        cls, key: SigningKey | VerifyKey, valid_from: int = 0, valid_until: int | None = None
    ) -> KeyRecord:
        public = key.public() if isinstance(key, SigningKey) else key
        return cls(public.key_id, public.to_b64(), valid_from, valid_until)


def revoke(record: KeyRecord, revoked_at: int) -> KeyRecord:
    """Mark ``record`` revoked: signatures dated from ``revoked_at`` on are rejected."""
    return dataclasses.replace(record, revoked_at=revoked_at)


def sign_detached(obj: Mapping[str, Any], key: SigningKey) -> str:
    """Sign the canonical JSON of ``obj``; returns the unpadded base64url signature."""
    return b64url_encode(key.sign(canonical_dumps(dict(obj))))


@dataclass(frozen=True)
class Rotation:
    """Result of :func:`rotate`: the new key, both records and the old key's endorsement."""

    new_key: SigningKey
    old_record: KeyRecord
    new_record: KeyRecord
    endorsement: dict[str, Any]


def rotate(
    old: SigningKey,
    node_id: str,
    *,
    now: int | None = None,
    overlap_ms: int = DEFAULT_ROTATION_OVERLAP_MS,
    old_valid_from: int = 0,
    new_key: SigningKey | None = None,
) -> Rotation:
    """Make a new signing key, endorsed by ``old``; ``old`` stays valid for ``overlap_ms``."""
    node_id = normalize_node_id(node_id)
    ts = now_ms() if now is None else now
    new_key = new_key or SigningKey.generate()
    body = {
        "type": ROTATION_TYPE,
        "node_id": node_id,
        "old_key_id": old.key_id,
        "new_key_id": new_key.key_id,
        "new_key": new_key.public().to_b64(),
        "ts": ts,
    }
    endorsement = dict(body, signatures={node_id: {old.key_id: sign_detached(body, old)}})
    logger.info("rotated federation key %s -> %s", old.key_id, new_key.key_id)
    return Rotation(
        new_key=new_key,
        old_record=KeyRecord.for_key(old, valid_from=old_valid_from, valid_until=ts + overlap_ms),
        new_record=KeyRecord.for_key(new_key, valid_from=ts),
        endorsement=endorsement,
    )


def verify_rotation(endorsement: Mapping[str, Any], old_key: KeyRecord, node_id: str) -> KeyRecord:
    """Verify that ``old_key`` endorsed a new key; returns the new key's record."""
    node_id = normalize_node_id(node_id)
    try:
        body = {k: v for k, v in endorsement.items() if k != "signatures"}
        if body.get("type") != ROTATION_TYPE or body.get("node_id") != node_id:
            raise BadSignature("endorsement is not a key rotation of this node")
        if body.get("old_key_id") != old_key.key_id:
            raise BadSignature("endorsement is not signed by the expected old key")
        sig = endorsement["signatures"][node_id][old_key.key_id]
        ts = body["ts"]
        new_key = VerifyKey.from_b64(body["new_key"])
    except (KeyError, TypeError, BadRequest) as exc:
        raise BadSignature("malformed key endorsement") from exc
    if new_key.key_id != body.get("new_key_id") or not isinstance(ts, int):
        raise BadSignature("malformed key endorsement")
    old_key.check_valid_at(ts)
    old_key.verify_key().verify(_decode_sig(sig), canonical_dumps(body))
    return KeyRecord.for_key(new_key, valid_from=ts)


def _decode_sig(sig: object) -> bytes:
    if not isinstance(sig, str):
        raise BadSignature("signature must be a string")
    try:
        return b64url_decode(sig)
    except BadRequest as exc:
        raise BadSignature("signature is not base64url") from exc


@dataclass(frozen=True)
class NodeDocument:
    """A node's self-description and public keys (served at ``/.well-known/coworknet``)."""

    node_id: str
    name: str
    city: str
    region: str
    keys: tuple[KeyRecord, ...]
    valid_until_ts: int
    protocol_versions: tuple[str, ...] = PROTOCOL_VERSIONS

    def lookup(self, key_id: str) -> KeyRecord | None:
        for record in self.keys:
            if record.key_id == key_id:
                return record
        return None

    def cache_until(self, now: int) -> int:
        """How long a peer may cache this document: never more than 7 days from ``now``."""
        return min(self.valid_until_ts, now + MAX_DOCUMENT_VALIDITY_MS)

    def to_unsigned_dict(self) -> dict[str, Any]:
        verify_keys: dict[str, Any] = {}
        old_verify_keys: dict[str, Any] = {}
        revoked_keys: dict[str, Any] = {}
        for record in self.keys:
            entry: dict[str, Any] = {
                "key": record.public_key_b64,
                "valid_from_ts": record.valid_from,
            }
            if record.revoked_at is not None:
                entry["revoked_ts"] = record.revoked_at
                if record.valid_until is not None:
                    entry["expired_ts"] = record.valid_until
                revoked_keys[record.key_id] = entry
            elif record.valid_until is not None:
                entry["expired_ts"] = record.valid_until
                old_verify_keys[record.key_id] = entry
            else:
                verify_keys[record.key_id] = entry
        return {
            "node_id": self.node_id,
            "name": self.name,
            "city": self.city,
            "region": self.region,
            "protocol_versions": list(self.protocol_versions),
            "verify_keys": verify_keys,
            "old_verify_keys": old_verify_keys,
            "revoked_keys": revoked_keys,
            "valid_until_ts": self.valid_until_ts,
        }

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> NodeDocument:
        """Parse a node document dict (signatures are checked by :func:`verify_node_document`)."""
        try:
            NodeDocumentSchema().load(dict(doc))
        except (ValidationError, TypeError) as exc:
            raise BadRequest("malformed node document") from exc
        try:
            records: list[KeyRecord] = []
            for section in ("verify_keys", "old_verify_keys", "revoked_keys"):
                for key_id, entry in doc.get(section, {}).items():
                    records.append(
                        KeyRecord(
                            key_id=key_id,
                            public_key_b64=entry["key"],
                            valid_from=entry.get("valid_from_ts", 0),
                            valid_until=entry.get("expired_ts"),
                            revoked_at=entry.get("revoked_ts"),
                        )
                    )
            document = cls(
                node_id=doc["node_id"],
                name=doc["name"],
                city=doc["city"],
                region=doc["region"],
                keys=tuple(records),
                valid_until_ts=doc["valid_until_ts"],
                protocol_versions=tuple(doc["protocol_versions"]),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise BadRequest("malformed node document") from exc
        if section_overlap(doc):
            raise BadRequest("a key id is listed in more than one key section")
        return document


def section_overlap(doc: Mapping[str, Any]) -> bool:
    seen: set[str] = set()
    for section in ("verify_keys", "old_verify_keys", "revoked_keys"):
        ids = set(doc.get(section, {}))
        if seen & ids:
            return True
        seen |= ids
    return False


def build_node_document(
    *,
    node_id: str,
    name: str,
    city: str,
    region: str,
    signing_key: SigningKey,
    other_keys: Sequence[KeyRecord] = (),
    now: int | None = None,
    valid_for_ms: int = DEFAULT_DOCUMENT_VALIDITY_MS,
    signing_key_valid_from: int = 0,
) -> dict[str, Any]:
    """Build and self-sign a node document; ``valid_until_ts`` is capped to now + 7 days.

    ``other_keys`` lists old (``valid_until`` set) and revoked keys, and extra current keys.
    """
    node_id = normalize_node_id(node_id)
    ts = now_ms() if now is None else now
    current = KeyRecord.for_key(signing_key, valid_from=signing_key_valid_from)
    records = (current, *(r for r in other_keys if r.key_id != current.key_id))
    document = NodeDocument(
        node_id=node_id,
        name=name,
        city=city,
        region=region,
        keys=records,
        valid_until_ts=ts + min(valid_for_ms, MAX_DOCUMENT_VALIDITY_MS),
    )
    body = document.to_unsigned_dict()
    return dict(body, signatures={node_id: {signing_key.key_id: sign_detached(body, signing_key)}})


def verify_node_document(
    doc: Mapping[str, Any], *, expected_node_id: str, now: int | None = None
) -> NodeDocument:
    """Check that ``doc`` describes ``expected_node_id``, is fresh and is self-signed.

    The signature must come from a key listed in the document's own ``verify_keys``.
    """
    expected = normalize_node_id(expected_node_id)
    ts = now_ms() if now is None else now
    document = NodeDocument.from_dict(doc)
    if document.node_id != expected:
        raise BadSignature("node document is for another node")
    if "1" not in document.protocol_versions:
        raise BadRequest("node does not speak protocol version 1")
    if document.valid_until_ts <= ts:
        raise ExpiredSignature("node document has expired")
    body = {k: v for k, v in doc.items() if k not in ("signatures", "unsigned")}
    signatures = doc.get("signatures")
    own = signatures.get(expected) if isinstance(signatures, dict) else None
    if not isinstance(own, dict) or not own:
        raise BadSignature("node document is not self-signed")
    data = canonical_dumps(body)
    verified = False
    for key_id, sig in own.items():
        record = document.lookup(key_id)
        if record is None or key_id not in doc.get("verify_keys", {}):
            continue
        record.verify_key().verify(_decode_sig(sig), data)
        verified = True
    if not verified:
        raise UnknownKey("node document is not signed by one of its current keys")
    return document
