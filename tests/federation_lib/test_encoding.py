"""Unpadded base64url is read strictly: exactly the texts that b64url_encode writes."""

from __future__ import annotations

import base64
import random

import pytest

from federation.encoding import b64url_decode, b64url_encode
from federation.errors import BadRequest

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def test_every_byte_string_round_trips():
    for size in range(0, 70):
        data = bytes(range(size))
        assert b64url_decode(b64url_encode(data)) == data


def test_a_text_is_accepted_exactly_when_encoding_its_bytes_gives_it_back():
    rng = random.Random(20261128)
    for length in range(0, 13):
        for _ in range(300):
            text = "".join(rng.choice(ALPHABET) for _ in range(length))
            if length % 4 == 1:
                expected = None
            else:
                data = base64.urlsafe_b64decode(text + "=" * (-length % 4))
                expected = data if b64url_encode(data) == text else None
            if expected is None:
                with pytest.raises(BadRequest):
                    b64url_decode(text)
            else:
                assert b64url_decode(text) == expected


@pytest.mark.parametrize("text", ["AB==", "A+B/", "AB C", "QR", "QUJ", "\u0410B"])
def test_padding_other_alphabets_and_stray_bits_are_refused(text):
    with pytest.raises(BadRequest):
        b64url_decode(text)
