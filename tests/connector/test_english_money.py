"""Money is shown in the reader's language: ``12 500,00 €`` in French, ``€12,500.00`` in English."""

from __future__ import annotations

import pytest

EN = {"Accept-Language": "en-GB,en;q=0.9"}
FR = {"Accept-Language": "fr-FR,fr;q=0.9"}


def _nbsp(text: str) -> str:
    return text.replace("\u202f", " ").replace("\xa0", " ")


@pytest.fixture
def confirmed_deal(client, create_member, api_token):
    """A confirmed deal of 12 500 € between two members, made through the API."""
    referrer = create_member("xavier@example.org", display_name="Xavier")
    referee = create_member("yann@example.org", display_name="Yann")
    made = client.post("/api/v1/referrals", headers=api_token(referrer),
                       json={"referee_id": referee.id, "client": "Boulangerie Martin"})
    rid = made.json["id"]
    assert client.post(f"/api/v1/referrals/{rid}/acknowledge", headers=api_token(referee)).status_code == 200
    assert client.post(f"/api/v1/referrals/{rid}/value", headers=api_token(referee),
                       json={"amount": "12500"}).status_code == 200
    assert client.post(f"/api/v1/referrals/{rid}/confirm", headers=api_token(referrer)).status_code == 200
    return referrer


def test_the_business_ledger_shows_euros_in_the_readers_language(portal, create_member, confirmed_deal):
    manager = create_member("accueil@example.org", role="manager")
    portal.login(manager.email)
    french = _nbsp(portal.get("/admin/connector/ledger", headers=FR).get_data(as_text=True))
    assert "12 500,00 €" in french and "€12,500.00" not in french
    english = portal.get("/admin/connector/ledger", headers=EN).get_data(as_text=True)
    assert '<html lang="en">' in english
    assert "€12,500.00" in english and "12 500,00" not in _nbsp(english)
    assert "Business ledger" in english


def test_the_totals_api_formats_in_the_readers_language(client, api_token, confirmed_deal):
    headers = api_token(confirmed_deal)
    english = client.get("/api/v1/referrals/totals", headers={**headers, **EN}).json
    assert english["business_cents"] == 1250000 and english["business"] == "€12,500.00"
    french = client.get("/api/v1/referrals/totals", headers={**headers, **FR}).json
    assert _nbsp(french["business"]) == "12 500,00 €"
