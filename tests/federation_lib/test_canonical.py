import pytest

from federation.canonical import MAX_SAFE_INTEGER, canonical_dumps, canonical_loads
from federation.errors import CanonicalJsonError


def test_sorted_keys_no_whitespace_utf8_values():
    data = {"b": [1, True, None], "a": {"z": "é☃", "y": "\u2028"}, "A": ""}
    assert (
        canonical_dumps(data) == '{"A":"","a":{"y":"\u2028","z":"é☃"},"b":[1,true,null]}'.encode()
    )


def test_round_trip_and_require_canonical():
    raw = canonical_dumps({"x": [1, -2, "ü"], "a": None})
    assert canonical_loads(raw, require_canonical=True) == {"x": [1, -2, "ü"], "a": None}
    with pytest.raises(CanonicalJsonError):
        canonical_loads(b'{"b":1, "a":2}', require_canonical=True)
    assert canonical_loads(b'{"b":1, "a":2}') == {"a": 2, "b": 1}


def test_control_characters_are_escaped():
    assert canonical_dumps("a\nb\x00") == b'"a\\nb\\u0000"'


@pytest.mark.parametrize(
    "value",
    [1.5, float("nan"), float("inf"), 2**53, -(2**53), {"é": 1}, {1: "x"}, (1, 2), b"x", "\ud800"],
)
def test_dumps_rejects(value):
    with pytest.raises(CanonicalJsonError):
        canonical_dumps(value)


def test_integer_bounds_are_inclusive():
    assert (
        canonical_dumps([MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER])
        == b"[9007199254740991,-9007199254740991]"
    )


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a":1,"a":2}',
        b'{"a":1.0}',
        b'{"a":1e3}',
        b'{"a":NaN}',
        b'{"a":Infinity}',
        b'{"a":-Infinity}',
        b'{"a":9007199254740992}',
        b'{"a":' + b"9" * 5000 + b"}",
        '{"é":1}'.encode(),
        b'{"a":"\xff"}',
        b'\xef\xbb\xbf{"a":1}',
        b'{"a":"\\ud800"}',
        b'{"a":1',
        b"[" * 10000 + b"]" * 10000,
    ],
)
def test_loads_rejects(raw):
    with pytest.raises(CanonicalJsonError):
        canonical_loads(raw)


def test_loads_rejects_non_bytes():
    with pytest.raises(CanonicalJsonError):
        canonical_loads('{"a":1}')  # type: ignore[arg-type]


def test_unicode_escapes_are_normalised():
    assert canonical_dumps(canonical_loads(b'{"a":"\\u00e9"}')) == '{"a":"é"}'.encode()
