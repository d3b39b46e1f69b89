"""The network pass (PROTOCOL §11): a compact token signed by a member's own space, which any
host with a visiting agreement verifies offline with the issuer's pinned key.

Fixed binary layout (all integers big-endian), then base32 for the QR code and the typed code:

====== ===== ===========================================================================
offset bytes field
====== ===== ===========================================================================
0      1     version (1)
1      1     flags: bit 0 photo shown, bit 1 name present, bit 2 valid at any host
2      8     pass id (random)
10     8     issuer: SHA-256(issuer node id)[:8]
18     8     host: SHA-256(host node id)[:8], zeros when valid at any host with an agreement
26     10    subject: the member's pseudonym for this host (per pass when any host)
36     4     issued (UNIX seconds)
40     4     expires (UNIX seconds), at most MAX_VALIDITY_S after issued
44     1+n   only with flag bit 1: n, then the member's name (UTF-8, NFC, n ≤ 60)
end    64    Ed25519 over DOMAIN ‖ every byte above
====== ===== ===========================================================================

No Flask, no database: the node maps fingerprints to its peers and their pinned keys.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import struct
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from federation.errors import BadSignature
from federation.keys import SigningKey, VerifyKey

VERSION = 1
DOMAIN = b"coworknet/pass/v1\x00"
MAX_VALIDITY_S = 3 * 24 * 3600
MAX_NAME_BYTES = 60
SKEW_S = 300
FLAG_PHOTO, FLAG_NAME, FLAG_ANY_HOST = 1, 2, 4
_HEAD = struct.Struct(">BB8s8s8s10sII")
SIGNATURE_BYTES = 64
ANY_HOST = bytes(8)


class PassRefused(Exception):
    """A pass that does not verify; ``code`` says why (the front desk words it)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(detail or code)
        self.code = code


def fingerprint(node_id: str) -> bytes:
    """The 8 bytes that name a node inside a pass."""
    return hashlib.sha256(node_id.encode("utf-8")).digest()[:8]


@dataclass(frozen=True)
class Pass:
    pass_id: str  # hex of the 8 random bytes
    issuer: bytes
    host: bytes | None  # None: any host with an agreement
    subject: str  # lowercase base32 of the 10 bytes
    issued: int
    expires: int
    name: str | None
    photo: bool


def new_pass_id() -> bytes:
    return os.urandom(8)


def encode(*, key: SigningKey, issuer: str, host: str | None, subject: bytes, issued: int,
           expires: int, name: str | None = None, photo: bool = False,
           pass_id: bytes | None = None) -> str:
    """Sign a pass; returns its text form (upper-case base32, no padding)."""
    if not 0 < expires - issued <= MAX_VALIDITY_S:
        raise ValueError("a pass is valid for at most MAX_VALIDITY_S")
    if len(subject) != 10:
        raise ValueError("the subject is 10 bytes")
    flags = (FLAG_PHOTO if photo else 0) | (FLAG_ANY_HOST if host is None else 0)
    tail = b""
    if name:
        raw = unicodedata.normalize("NFC", name).encode("utf-8")[:MAX_NAME_BYTES]
        raw = raw.decode("utf-8", "ignore").encode("utf-8")  # never cut inside a character
        flags |= FLAG_NAME
        tail = bytes([len(raw)]) + raw
    body = _HEAD.pack(VERSION, flags, pass_id or new_pass_id(), fingerprint(issuer),
                      ANY_HOST if host is None else fingerprint(host), subject, issued,
                      expires) + tail
    return to_text(body + key.sign(DOMAIN + body))


def to_text(raw: bytes) -> str:
    return base64.b32encode(raw).decode("ascii").rstrip("=")


_TYPO = str.maketrans({"0": "O", "1": "I", "8": "B"})
_NOT_CODE = re.compile(r"[\s\-.]+")


def from_text(text: str) -> bytes:
    """The bytes of a typed or scanned pass: case, spaces, dashes and 0/1/8 for O/I/B forgiven."""
    cleaned = _NOT_CODE.sub("", text or "").upper().translate(_TYPO)
    if not cleaned or len(cleaned) > 400 or not re.fullmatch(r"[A-Z2-7]+", cleaned):
        raise PassRefused("malformed")
    try:
        return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except ValueError:
        raise PassRefused("malformed") from None


def grouped(text: str, size: int = 4) -> str:
    """The code in groups of ``size`` characters, for reading aloud and typing."""
    return " ".join(text[i:i + size] for i in range(0, len(text), size))


def parse(raw: bytes) -> tuple[Pass, bytes, bytes]:
    """(the pass, the signed body, the signature) without checking anything but the form."""
    if len(raw) < _HEAD.size + SIGNATURE_BYTES:
        raise PassRefused("malformed")
    version, flags, pass_id, issuer, host, subject, issued, expires = _HEAD.unpack_from(raw)
    if version != VERSION or flags & ~(FLAG_PHOTO | FLAG_NAME | FLAG_ANY_HOST):
        raise PassRefused("malformed", "unknown version or flags")
    offset, name = _HEAD.size, None
    if flags & FLAG_NAME:
        size = raw[offset]
        if size > MAX_NAME_BYTES:
            raise PassRefused("malformed")
        try:
            name = raw[offset + 1:offset + 1 + size].decode("utf-8")
        except UnicodeDecodeError:
            raise PassRefused("malformed") from None
        offset += 1 + size
    if len(raw) != offset + SIGNATURE_BYTES:
        raise PassRefused("malformed")
    if bool(flags & FLAG_ANY_HOST) != (host == ANY_HOST):
        raise PassRefused("malformed")
    item = Pass(pass_id.hex(), issuer, None if flags & FLAG_ANY_HOST else host,
                base64.b32encode(subject).decode("ascii").lower(), issued, expires, name,
                bool(flags & FLAG_PHOTO))
    return item, raw[:offset], raw[offset:]


def verify(text: str, *, host: str, keys_of: Callable[[bytes], Iterable[VerifyKey] | None],
           now: int) -> Pass:
    """Verify a pass offline for ``host`` at ``now`` (UNIX seconds).

    ``keys_of(issuer fingerprint)`` gives the pinned keys of a peer this host has an agreement
    with, or None (a stranger: ``not_peer``). Refusals, in this order: ``malformed``,
    ``not_peer``, ``bad_signature``, ``other_host``, ``not_yet_valid``, ``expired``."""
    item, body, signature = parse(from_text(text))
    keys = keys_of(item.issuer)
    if not keys:
        raise PassRefused("not_peer")
    signed = DOMAIN + body
    for key in keys:
        try:
            key.verify(signature, signed)
            break
        except BadSignature:
            continue
    else:
        raise PassRefused("bad_signature")
    if item.host is not None and item.host != fingerprint(host):
        raise PassRefused("other_host")
    if item.expires - item.issued > MAX_VALIDITY_S or item.issued > now + SKEW_S:
        raise PassRefused("not_yet_valid")
    if now >= item.expires:
        raise PassRefused("expired")
    return item
