"""Canonical JSON: the one byte form that is signed and verified.

Rules: object keys are ASCII strings sorted by code point, no insignificant whitespace,
UTF-8 output with non-ASCII string values written literally, integers within
±(2**53 - 1), and no floats, NaN or Infinity. Only ``None``, ``bool``, ``int``, ``str``,
``list`` and ``dict`` exist. Strings must be in Unicode Normalization Form C (NFC): the same
text has one signed form (:func:`to_nfc` normalises a value before signing). Parsing is just as
strict and also refuses duplicate keys.
"""

from __future__ import annotations

import json
import logging
import unicodedata
from typing import Any

from federation.errors import CanonicalJsonError

logger = logging.getLogger(__name__)

MAX_SAFE_INTEGER = 2**53 - 1
MAX_DEPTH = 64


def _check(value: Any, depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        raise CanonicalJsonError("JSON value is nested too deeply")
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, int):
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise CanonicalJsonError("integer outside ±(2**53-1)")
        return
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise CanonicalJsonError("string is not valid Unicode (lone surrogate)") from exc
        if not value.isascii() and not unicodedata.is_normalized("NFC", value):
            raise CanonicalJsonError("string is not in Unicode Normalization Form C")
        return
    if isinstance(value, list):
        for element in value:
            _check(element, depth + 1)
        return
    if isinstance(value, dict):
        for key, element in value.items():
            if not isinstance(key, str):
                raise CanonicalJsonError("object keys must be strings")
            if not key.isascii():
                raise CanonicalJsonError("object keys must be ASCII")
            _check(element, depth + 1)
        return
    if isinstance(value, float):
        raise CanonicalJsonError("floats are not allowed in canonical JSON")
    raise CanonicalJsonError(f"type {type(value).__name__} is not allowed in canonical JSON")


def to_nfc(value: Any) -> Any:
    """``value`` with every string (values and keys) normalised to NFC, ready to be signed."""
    if isinstance(value, str):
        return value if value.isascii() else unicodedata.normalize("NFC", value)
    if isinstance(value, list | tuple):
        return [to_nfc(element) for element in value]
    if isinstance(value, dict):
        return {to_nfc(key): to_nfc(element) for key, element in value.items()}
    return value


def canonical_dumps(obj: object, *, checked: bool = False) -> bytes:
    """Encode ``obj`` as canonical JSON bytes or raise :class:`CanonicalJsonError`.

    ``checked``: the value (or the value it is part of) already passed these checks in this
    call chain (e.g. a part of an item just encoded); the hot verify path skips the walk."""
    if not checked:
        _check(obj)
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def _reject_float(text: str) -> None:
    raise CanonicalJsonError("floats are not allowed in canonical JSON")


def _reject_constant(text: str) -> None:
    raise CanonicalJsonError(f"{text} is not allowed in canonical JSON")


def _parse_int(text: str) -> int:
    # Refuse huge digit strings before int() spends time on them.
    if len(text.lstrip("-")) > 16:
        raise CanonicalJsonError("integer outside ±(2**53-1)")
    value = int(text)
    if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        raise CanonicalJsonError("integer outside ±(2**53-1)")
    return value


def _object_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if not key.isascii():
            raise CanonicalJsonError("object keys must be ASCII")
        if key in result:
            raise CanonicalJsonError("duplicate object key")
        result[key] = value
    return result


def canonical_loads(data: bytes, *, require_canonical: bool = False) -> object:
    """Parse JSON bytes strictly; with ``require_canonical`` the bytes must be canonical too."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise CanonicalJsonError("canonical JSON input must be bytes")
    raw = bytes(data)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CanonicalJsonError("JSON is not valid UTF-8") from exc
    try:
        value = json.loads(
            text,
            object_pairs_hook=_object_pairs,
            parse_float=_reject_float,
            parse_int=_parse_int,
            parse_constant=_reject_constant,
        )
    except CanonicalJsonError:
        raise
    except (ValueError, RecursionError) as exc:
        raise CanonicalJsonError("malformed JSON") from exc
    _check(value)
    if require_canonical and canonical_dumps(value) != raw:
        raise CanonicalJsonError("JSON is not in canonical form")
    return value
