import pytest

from federation.canonical import MAX_SAFE_INTEGER, canonical_dumps, canonical_loads, to_nfc
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
    [1.5, float("nan"), float("inf"), 2**53, -(2**53), {"é": 1}, {1: "x"}, (1, 2), b"x", "\ud800",
     "Cafe\u0301", {"a": ["\u212b"]}],
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
        b'{"a":"Cafe\xcc\x81"}',
        b'{"a":"Cafe\\u0301"}',
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


def test_strings_must_be_nfc_known_answer():
    # "Café" composed (U+00E9) is the one canonical form; decomposed (e + U+0301) is refused.
    composed = to_nfc({"name": "Cafe\u0301", "list": ["\u212b"], "n": 1})
    assert composed == {"name": "Caf\u00e9", "list": ["\u00c5"], "n": 1}
    assert canonical_dumps(composed) == b'{"list":["\xc3\x85"],"n":1,"name":"Caf\xc3\xa9"}'
    assert canonical_dumps(composed).hex() == (
        "7b226c697374223a5b22c385225d2c226e223a312c226e616d65223a22436166c3a9227d")
    assert canonical_loads('{"a":"Café"}'.encode()) == {"a": "Café"}


def test_canonical_object_writes_what_canonical_dumps_writes():
    """The member-by-member form (encoded by orjson) is byte for byte the canonical form:
    every code point, escapes, integer limits, nesting and key order."""
    from federation.canonical import canonical_object

    code_points = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    blocks = ["".join(map(chr, code_points[i:i + 4096])) for i in range(0, len(code_points), 4096)]
    value = {
        "texts": blocks, "escapes": ["\"\\/\b\f\n\r\t\x00\x1f\x7f\u2028\u2029"],
        "numbers": [0, -1, 2**53 - 1, -(2**53 - 1), 10**15], "flags": [True, False, None],
        "nested": {"z": [{"b": 1, "a": [[], {}]}], "A": "é", "a\"b": 1, "\\": 2, "\n": 3},
        "": "empty key",
    }
    form = canonical_object(value, checked=True)
    assert form.data == canonical_dumps(value, checked=True)
    assert form.without(["texts"]) == canonical_dumps(
        {k: v for k, v in value.items() if k != "texts"}, checked=True)
