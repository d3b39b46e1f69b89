"""Referral and business ledger, barter ledger: flows, totals, money never a float."""

from __future__ import annotations

from datetime import UTC, datetime

from node.connector import ledger
from node.models import BarterEntry, Referral
from tests.conftest import count_rows


def _nbsp(text: str) -> str:
    return text.replace("\u202f", " ").replace("\xa0", " ")


def test_referral_for_a_client_counts_once_both_confirmed(portal, session, create_member):
    create_member("xavier@example.org", display_name="Xavier")
    yann = create_member("yann@example.org", display_name="Yann")
    portal.login("xavier@example.org")
    assert portal.post("/connector/referrals", {"referee_id": str(yann.id), "client": "Boulangerie Martin",
                                                "note": "Site vitrine"}).status_code == 302
    referral = session.query(Referral).one()
    # the value cannot be declared before Y acknowledges
    assert portal.post(f"/connector/referrals/{referral.id}/value", {"amount": "100"}).status_code == 409

    portal.post("/logout")
    portal.login("yann@example.org")
    assert portal.post(f"/connector/referrals/{referral.id}/acknowledge").status_code == 302
    assert portal.post(f"/connector/referrals/{referral.id}/value", {"amount": "12 500,00"}).status_code == 302
    session.expire_all()
    assert session.get(Referral, referral.id).value_cents == 1250000
    assert ledger.space_totals(session).business_cents == 0  # declared, not confirmed
    # the declaring side cannot confirm its own figure
    assert portal.post(f"/connector/referrals/{referral.id}/confirm").status_code == 403

    portal.post("/logout")
    portal.login("xavier@example.org")
    assert portal.post(f"/connector/referrals/{referral.id}/confirm").status_code == 302
    totals = ledger.space_totals(session)
    assert (totals.referrals, totals.deals_confirmed, totals.business_cents) == (1, 1, 1250000)
    page = _nbsp(portal.get("/connector/referrals").get_data(as_text=True))
    assert "12 500,00 €" in page
    # confirmed once: a second confirmation is refused and changes nothing
    assert portal.post(f"/connector/referrals/{referral.id}/confirm").status_code == 409
    assert ledger.space_totals(session).business_cents == 1250000


def test_referral_for_a_need_is_confirmed_by_its_author(client, session, create_member, api_token):
    author = create_member("alice@example.org")
    referrer = create_member("xavier@example.org")
    referee = create_member("yann@example.org")
    need = client.post("/api/v1/needs", headers=api_token(author), json={"text": "Un site web"}).json
    made = client.post("/api/v1/referrals", headers=api_token(referrer),
                       json={"referee_id": referee.id, "need_id": need["id"]})
    assert made.status_code == 201, made.json
    rid = made.json["id"]
    assert client.post(f"/api/v1/referrals/{rid}/acknowledge", headers=api_token(referee)).status_code == 200
    # floats and numbers are refused: money is text or integer cents, never a float
    for amount in (1500.5, 1500, "15,5555", "abc", "-3"):  # "15,555" is 15 555 €: a thousands group
        assert client.post(f"/api/v1/referrals/{rid}/value", headers=api_token(referee),
                           json={"amount": amount}).status_code == 422
    # the referrer is not a party of the deal for a need
    assert client.post(f"/api/v1/referrals/{rid}/value", headers=api_token(referrer),
                       json={"amount": "10"}).status_code == 403
    assert client.post(f"/api/v1/referrals/{rid}/value", headers=api_token(author),
                       json={"amount": "1500.5"}).json["value_cents"] == 150050
    assert client.post(f"/api/v1/referrals/{rid}/confirm", headers=api_token(author)).status_code == 403
    confirmed = client.post(f"/api/v1/referrals/{rid}/confirm", headers=api_token(referee)).json
    assert confirmed["value"] == "1500.50" and confirmed["value_confirmed_at"]
    totals = client.get("/api/v1/referrals/totals", headers=api_token(author)).json
    assert totals["business_cents"] == 150050 and isinstance(totals["business_cents"], int)
    assert _nbsp(totals["business"]) == "1 500,50 €"


def test_invalid_referrals_write_nothing(client, session, create_member, api_token):
    me = create_member("xavier@example.org")
    other = create_member("yann@example.org")
    headers = api_token(me)
    for body in ({"referee_id": me.id, "client": "x"}, {"referee_id": other.id},
                 {"referee_id": other.id, "client": "x", "bogus": 1}, {"referee_id": "2", "client": "x"},
                 {"referee_id": 999, "client": "x"}):
        assert client.post("/api/v1/referrals", headers=headers, json=body).status_code in (404, 422)
    assert count_rows(session, Referral) == 0


def test_totals_add_up_by_year_and_with_peer_aggregates(session, create_member, clock):
    x, y, z = (create_member(f"m{i}@example.org") for i in range(3))
    amounts = [(x, y, 50000), (y, z, 125075), (z, x, 99)]
    for referrer, referee, cents in amounts:
        referral = ledger.create_referral(session, referrer, referee, client="Client")
        ledger.acknowledge(session, referral, referee)
        ledger.declare_value(session, referral, referee, cents)
        ledger.confirm_value(session, referral, referrer)
    old = ledger.create_referral(session, x, z, client="Ancien")
    ledger.acknowledge(session, old, z)
    ledger.declare_value(session, old, z, 700)
    ledger.confirm_value(session, old, x)
    old.created_at = old.value_confirmed_at = datetime(2020, 5, 1, tzinfo=UTC)
    session.commit()
    year = clock.now().year
    totals = ledger.space_totals(session, year)
    assert totals.business_cents == 50000 + 125075 + 99 and totals.deals_confirmed == 3
    assert ledger.space_totals(session, 2020).business_cents == 700
    ledger.store_peer_stats(session, "https://aix.example", {
        "members_active": 3, "directory_entries": 1, "events_upcoming": 0,
        "period_start": f"{year}-01-01", "period_end": f"{year}-06-30",
        "deals_confirmed": 2, "business_cents": 1000})
    ledger.store_peer_stats(session, "https://old.example", {
        "members_active": 3, "directory_entries": 1, "events_upcoming": 0,
        "period_start": "2020-01-01", "period_end": "2020-12-31", "deals_confirmed": 9, "business_cents": 9})
    network = ledger.network_totals(session, totals)
    assert (network.nodes, network.deals_confirmed, network.business_cents) == (2, 5, totals.business_cents + 1000)


def test_barter_between_member_space_and_other_spaces(portal, client, session, create_member, api_token):
    manager = create_member("cm@example.org", role="manager")
    designer = create_member("dana@example.org", display_name="Dana")
    portal.login("cm@example.org")
    assert portal.post("/admin/connector/barter", {
        "member_id": str(designer.id), "peer": "", "direction": "given", "unit": "pass", "quantity": "10",
        "service": "Charte graphique", "occurred_on": "2026-03-02"}).status_code == 302
    assert portal.post("/admin/connector/barter", {
        "member_id": str(designer.id), "peer": "", "direction": "received", "unit": "pass", "quantity": "3",
        "service": "Passes utilisées", "occurred_on": "2026-03-20"}).status_code == 302
    body = {"peer": "https://aix.example", "direction": "received", "unit": "day", "quantity": 2,
            "service": "Deux visites de membres d'Aix", "occurred_on": "2026-04-01"}
    assert client.post("/api/v1/admin/connector/barter", headers=api_token(manager), json=body).status_code == 201
    # invalid: both counterparts, none, a float quantity, a member posting
    for bad in ({**body, "member_id": designer.id}, {k: v for k, v in body.items() if k != "peer"},
                {**body, "quantity": 2.5}):
        assert client.post("/api/v1/admin/connector/barter", headers=api_token(manager), json=bad).status_code == 422
    assert client.post("/api/v1/admin/connector/barter", headers=api_token(designer), json=body).status_code == 403
    assert count_rows(session, BarterEntry) == 3
    mine = client.get("/api/v1/me/barter", headers=api_token(designer)).json
    assert [b["units"] for b in mine["balances"]] == [{"pass": 7}]
    assert len(mine["entries"]) == 2
    all_balances = client.get("/api/v1/admin/connector/barter", headers=api_token(manager)).json["balances"]
    assert {b["label"]: b["units"] for b in all_balances} == {"Dana": {"pass": 7}, "https://aix.example": {"day": -2}}
    page = portal.get("/admin/connector/barter").get_data(as_text=True)
    assert "Charte graphique" in page
