import pytest

from federation.pseudonyms import current_epoch, pseudonym

SECRET = bytes(32)
B = "https://b.example"
C = "https://c.example"


def test_known_answer_and_stability():
    assert pseudonym(SECRET, 0, B, 7) == "lccezhbravgzbmjk2gxxquszlz3q5kbw"
    assert pseudonym(SECRET, 0, "https://B.example/", "7") == pseudonym(SECRET, 0, B, 7)


def test_differs_per_recipient_epoch_member_and_secret():
    base = pseudonym(SECRET, 0, B, 7)
    others = {
        pseudonym(SECRET, 0, C, 7),
        pseudonym(SECRET, 1, B, 7),
        pseudonym(SECRET, 0, B, 8),
        pseudonym(b"\x01" * 32, 0, B, 7),
    }
    assert base not in others and len(others) == 4


def test_length_prefixing_prevents_ambiguity():
    assert pseudonym(SECRET, 0, "https://b.example:1000", 7) != pseudonym(
        SECRET, 0, "https://b.example:100", "07"
    )


def test_input_checks():
    with pytest.raises(ValueError):
        pseudonym(b"short", 0, B, 7)
    with pytest.raises(ValueError):
        pseudonym(SECRET, -1, B, 7)


def test_epochs():
    day = 86_400_000
    assert current_epoch(0) == 0
    assert current_epoch(90 * day - 1) == 0
    assert current_epoch(90 * day) == 1
    assert current_epoch(10 * day, epoch_days=7) == 1
