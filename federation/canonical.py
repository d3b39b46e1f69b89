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
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from federation.errors import CanonicalJsonError

logger = logging.getLogger(__name__)

MAX_SAFE_INTEGER = 2**53 - 1
MAX_DEPTH = 64

# One encoder for every call (``json.dumps`` with options builds a new one each time).
_encode = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
).encode
# Any integer of 16 digits or more may be out of range; shorter ones never are (< 10**15).
# Found as a run of 16 zeros once every digit is a zero (a C scan, unlike a regex).
_DIGITS_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_DIGITS = b"0" * 16


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
    return _encode(obj).encode("utf-8")


class CanonicalObject:
    """A JSON object in canonical form, kept member by member (``"key":value`` bytes in key
    order): the canonical form of the object without some of its members, which is what a
    signature or a content hash covers, is then a join instead of another encoding."""

    __slots__ = ("data", "members")

    def __init__(self, members: dict[str, bytes]) -> None:
        self.members = members
        self.data = b"{" + b",".join(members.values()) + b"}"

    def only(self, names: Iterable[str]) -> bytes:
        """The canonical form of the object reduced to ``names``."""
        wanted = names if isinstance(names, frozenset) else frozenset(names)
        return b"{" + b",".join(m for k, m in self.members.items() if k in wanted) + b"}"

    def without(self, names: Iterable[str]) -> bytes:
        """The canonical form of the object without ``names``."""
        unwanted = names if isinstance(names, frozenset) else frozenset(names)
        return b"{" + b",".join(m for k, m in self.members.items() if k not in unwanted) + b"}"


_key_bytes: dict[str, bytes] = {}


def canonical_object(obj: Mapping[str, Any], *, checked: bool = False) -> CanonicalObject:
    """:func:`canonical_dumps` of a JSON object, member by member (``checked`` as there).

    The members are encoded by orjson, which writes a value that passed the checks byte for
    byte as the standard library does here (the same escapes for every code point, sorted
    ASCII keys, integers in range; floats never pass), several times faster."""
    if not checked:
        _check(obj)
    members: dict[str, bytes] = {}
    for key in sorted(obj):
        prefix = _key_bytes.get(key)
        if prefix is None:
            prefix = _encode(key).encode("utf-8") + b":"
            if len(_key_bytes) < 1024:  # protocol keys: a handful
                _key_bytes[key] = prefix
        members[key] = prefix + orjson.dumps(obj[key], option=orjson.OPT_SORT_KEYS)
    return CanonicalObject(members)


def is_plain(data: bytes) -> bool:
    """ASCII only (so every string is NFC and every key ASCII) and no integer literal of 16
    digits or more (so every integer is within ±(2**53-1)); true of any part of such bytes.
    The canonical encoding of a value parsed with :func:`reject_float` and
    :func:`reject_constant` as hooks that is plain and not :func:`is_too_deep` cannot break a
    rule of :func:`_check`: it need not be walked."""
    return data.isascii() and _LONG_DIGITS not in data.translate(_DIGITS_TO_ZERO)


def is_too_deep(data: bytes, *, depth: int = 0) -> bool:
    """Whether the JSON ``data``, at ``depth`` in its document, may nest deeper than allowed
    (it has more brackets than the levels left)."""
    return data.count(b"{") + data.count(b"[") > MAX_DEPTH - depth


def check_value(value: Any, *, depth: int = 0) -> None:
    """Raise :class:`CanonicalJsonError` unless ``value`` (at ``depth`` in its document)
    may be encoded canonically."""
    _check(value, depth)


def reject_float(text: str) -> None:
    """``parse_float`` hook of :func:`json.loads`: canonical JSON has no floats."""
    raise CanonicalJsonError("floats are not allowed in canonical JSON")


def reject_constant(text: str) -> None:
    """``parse_constant`` hook of :func:`json.loads`: no NaN or Infinity."""
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
            parse_float=reject_float,
            parse_int=_parse_int,
            parse_constant=reject_constant,
        )
    except CanonicalJsonError:
        raise
    except (ValueError, RecursionError) as exc:
        raise CanonicalJsonError("malformed JSON") from exc
    _check(value)
    if require_canonical and canonical_dumps(value) != raw:
        raise CanonicalJsonError("JSON is not in canonical form")
    return value
