"""Byte encodings used on the wire: unpadded base64url and RFC 8941 byte sequences."""

from __future__ import annotations

import base64
import binascii
import re

from federation.errors import BadRequest

_B64URL_RE = re.compile(r"^[A-Za-z0-9_-]*$")
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
#: The characters that may end an unpadded base64url text, by its length modulo 4: after 2
#: characters (one byte) the last one carries 2 bits, after 3 (two bytes) 4 bits.
_LAST_CHARACTER = {0: frozenset(_ALPHABET), 2: frozenset(_ALPHABET[::16]),
                   3: frozenset(_ALPHABET[::4])}


def b64url_encode(data: bytes) -> str:
    """Unpadded base64url (RFC 4648 §5), the encoding of keys and object signatures."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict inverse of :func:`b64url_encode`; padding and other alphabets are refused."""
    if not isinstance(text, str) or not _B64URL_RE.match(text) or len(text) % 4 == 1:
        raise BadRequest("invalid base64url value")
    # Canonical: the bits of the last character beyond the data are zero (what encoding the
    # decoded bytes again would check).
    if text and text[-1] not in _LAST_CHARACTER[len(text) % 4]:
        raise BadRequest("non-canonical base64url value")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64_std_encode(data: bytes) -> str:
    """Padded standard base64, as used inside RFC 8941 byte sequences (``:...:``)."""
    return base64.b64encode(data).decode("ascii")


def b64_std_decode(text: str) -> bytes:
    """Strict padded standard base64 decoding."""
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise BadRequest("invalid base64 value") from exc
