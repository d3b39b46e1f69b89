"""Byte encodings used on the wire: unpadded base64url and RFC 8941 byte sequences."""

from __future__ import annotations

import base64
import binascii
import re

from federation.errors import BadRequest

_B64URL_RE = re.compile(r"^[A-Za-z0-9_-]*$")


def b64url_encode(data: bytes) -> str:
    """Unpadded base64url (RFC 4648 §5), the encoding of keys and object signatures."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict inverse of :func:`b64url_encode`; padding and other alphabets are refused."""
    if not isinstance(text, str) or not _B64URL_RE.match(text) or len(text) % 4 == 1:
        raise BadRequest("invalid base64url value")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if b64url_encode(data) != text:
        raise BadRequest("non-canonical base64url value")
    return data


def b64_std_encode(data: bytes) -> str:
    """Padded standard base64, as used inside RFC 8941 byte sequences (``:...:``)."""
    return base64.b64encode(data).decode("ascii")


def b64_std_decode(text: str) -> bytes:
    """Strict padded standard base64 decoding."""
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise BadRequest("invalid base64 value") from exc
