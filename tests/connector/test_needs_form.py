"""The needs board reads budgets as people write them, and a refused need comes back on the
board as typed, the field marked, never as a bare error page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from node.models import Need
from schemas.connector import euro_cents

BOARD = "http://coworknet.test/connector/needs"  # the test app's SERVER_NAME


@pytest.mark.parametrize("typed, cents", [
    ("1200", 120000), ("1.200", 120000), ("1 200", 120000), ("1\u202f200", 120000), ("1200 €", 120000),
    ("1200€", 120000), ("€1200", 120000), ("1 200 EUR", 120000), ("1 250,50", 125050), ("1.250,50", 125050),
    ("1,250.50", 125050), ("12,5", 1250), ("0,99", 99), ("1.200.000", 120000000), ("1,250", 125000),
])
def test_french_amounts_are_read_leniently(typed, cents):
    assert euro_cents(typed) == cents


@pytest.mark.parametrize("typed", ["environ 500", "500 ou 600", "1.2345", "1,2,3", "1.20.0", "", "€", ",5", "-500",
                                   "1.200,5,0", "1e3", "١٢٠٠"])
def test_what_is_not_an_amount_is_refused(typed):
    with pytest.raises(ValueError):
        euro_cents(typed)


def _field(html: str, name: str) -> str:
    match = re.search(rf'<(?:input|textarea)[^>]*name="{name}"[^>]*>', html)
    assert match, name
    return match.group(0)


def test_a_lenient_budget_is_saved(portal, create_member, session):
    member = create_member("alice@example.org")
    portal.login(member.email)
    response = portal.post("/connector/needs", {"text": "Un site vitrine", "budget": "1.200", "deadline": ""},
                           headers={"Referer": BOARD})
    assert response.status_code == 302
    assert session.query(Need).one().budget_cents == 120000


@pytest.mark.parametrize("field, typed, message", [
    ("budget", "environ 500", "Écrivez le montant en chiffres"),
    ("deadline", "past", "L’échéance est déjà passée."),
])
def test_a_refused_need_comes_back_as_typed_with_its_field_marked(portal, create_member, session, clock,
                                                                 field, typed, message):
    member = create_member("alice@example.org")
    portal.login(member.email)
    if typed == "past":
        typed = (clock.now() - timedelta(days=2)).date().isoformat()
    form = {"text": "Je cherche une traductrice anglais → français", "budget": "800", "deadline": ""}
    form[field] = typed
    response = portal.post("/connector/needs", form, headers={"Referer": BOARD})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<h1>Tableau des besoins</h1>" in html  # the board, not the error page
    assert "Je cherche une traductrice anglais → français</textarea>" in html
    marked = _field(html, field)
    assert f'value="{typed}"' in marked and 'aria-invalid="true"' in marked
    assert f'<p class="field-error" id="{field}-error">' in html and message in html
    assert 'aria-invalid' not in _field(html, "text")
    # The other form of the page (a word to the manager) stays empty and unmarked.
    assert re.search(r'name="text"[^>]*id="ask-text"|id="ask-text"[^>]*name="text"', html)
    assert "></textarea>" in html[html.index('id="ask-text"'):]
    assert session.query(Need).count() == 0


def test_without_a_page_to_come_back_to_the_error_page_remains(portal, create_member):
    member = create_member("alice@example.org")
    portal.login(member.email)
    response = portal.post("/connector/needs", {"text": "x", "budget": "environ 500", "deadline": ""})
    assert response.status_code == 422
    assert "Tableau des besoins</h1>" not in response.get_data(as_text=True)
