"""The network pass on three live nodes: A and B agree on 2 days a month each way; A's
members show their pass at B's front desk while A is stopped; the third visit of the month is
refused; A suspends a member and, once B synced, the pass is refused; A's manager sees the
visits and the balance. Then the adversarial passes and visit records: refused, nothing kept."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta

from sqlalchemy import func, select, update

from federation import passes as token
from federation.keys import SigningKey
from federation.messages import make_object_id
from node.accounts import accounts
from node.connector import network as connector_network
from node.federation import inbox
from node.models import (
    BarterEntry,
    Member,
    OutboxMessage,
    PassAgreement,
    PassRevocation,
    PassVisit,
    Peer,
)
from node.orm import utcnow
from schemas.federation import PASS_AGREEMENT, PASS_VISIT
from tests.conftest import MEMBER_PASSWORD, PortalClient

CODE_RE = re.compile(r'data-testid="pass-code">([^<]+)<')


def _person(node, email: str, role: str = "member") -> PortalClient:
    with node.session() as session:
        accounts.create_member(session, node.app.extensions["coworknet.passwords"], email=email,
                               display_name=email.split("@")[0].title(), password=MEMBER_PASSWORD,
                               role=role)
        session.commit()
    portal = PortalClient(node.client())
    assert portal.login(email).status_code == 302
    return portal


def _deliver(*nodes) -> None:
    for node in nodes:
        node.runtime.wait_for_background()
        node.round()


def _retry_now(node) -> None:
    """The outbox's retry comes due (its backoff after the issuer was unreachable)."""
    with node.session() as session:
        session.execute(update(OutboxMessage).where(OutboxMessage.status == "pending")
                        .values(next_attempt_ms=0))
        session.execute(update(Peer).values(next_attempt_ms=0))
        session.commit()


def _count(node, model, *where) -> int:
    with node.session() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def _agree(a, b, manager_a, manager_b, days: int = 2) -> None:
    today = utcnow().date()
    page = manager_a.post("/admin/passes/agreements", {
        "peer": b.url, "offerer_members_days": str(days), "answerer_members_days": str(days),
        "pool_days": "", "valid_from": (today - timedelta(days=1)).isoformat(), "valid_until": ""})
    assert page.status_code == 302, page.get_data(as_text=True)
    _deliver(a)
    with b.session() as session:
        offered = session.scalar(select(PassAgreement))
        assert offered is not None and offered.status == "offered" and not offered.offered_by_us
        pk = offered.id
    assert "Accept" in manager_b.get("/admin/passes").get_data(as_text=True) or "Accepter" in \
        manager_b.get("/admin/passes").get_data(as_text=True)
    assert manager_b.post(f"/admin/passes/agreements/{pk}/answer", {"decision": "accept"}).status_code == 302
    _deliver(b)
    with a.session() as session:
        assert session.scalar(select(PassAgreement.status)) == "active"


def _code(member: PortalClient) -> str:
    page = member.get("/pass")
    assert page.status_code == 200
    found = CODE_RE.search(page.get_data(as_text=True))
    assert found, "no pass on the page"
    return html.unescape(found.group(1))


def _desk(manager: PortalClient, code: str):
    page = manager.post("/admin/passes/desk", {"code": code}, headers={"Accept-Language": "en"})
    return page.status_code, page.get_data(as_text=True)


def test_a_member_works_a_day_at_a_peer_on_a_pass_checked_offline(live_nodes):
    a, b, _c = live_nodes(3, names=["aix", "fontainebleau", "lyon"])
    live_nodes.peer_all()
    manager_a, manager_b = _person(a, "gerante@aix.example", "manager"), _person(b, "accueil@fbl.example", "manager")
    _agree(a, b, manager_a, manager_b, days=2)
    codes = [_code(_person(a, f"{name}@aix.example")) for name in ("zoe", "noe", "lea")]

    a.stop()  # the issuer is offline: B verifies with the key it pinned
    status, page = _desk(manager_b, codes[0])
    assert status == 200 and "Welcome! The visit is recorded." in page
    assert _desk(manager_b, codes[0])[1].count("Already recorded today") == 1  # counted once
    assert _desk(manager_b, codes[1])[0] == 200
    status, page = _desk(manager_b, codes[2])
    assert status == 422 and "used up" in page  # the third day of the month: over quota
    assert _count(b, PassVisit, PassVisit.direction == "hosted") == 2

    a.start()
    _retry_now(b)
    _deliver(b)  # the visit records reach the issuer
    assert _count(a, PassVisit, PassVisit.direction == "made") == 2
    zoe = _person_row(a, "zoe@aix.example")
    zoe_portal = _login(a, "zoe@aix.example")
    assert "Aucune visite pour l’instant." not in zoe_portal.get("/pass").get_data(as_text=True)
    engagement = manager_a.get("/admin/connector/engagement", headers={"Accept-Language": "en"})
    assert "2 days our members spent at other spaces" in engagement.get_data(as_text=True)
    ledger = manager_b.get("/admin/connector/ledger", headers={"Accept-Language": "en"})
    assert "2 days given to members of other spaces" in ledger.get_data(as_text=True)
    with b.session() as session:  # B's signed aggregates carry its visits (a count) to A
        connector_network.publish_stats(session)
        session.commit()
    a.sync()
    network = manager_a.get("/admin/connector/ledger", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "In the network (2 spaces): 2 days of visits between spaces" in network
    with a.session() as session:  # the API: the member's visits, the manager's balances
        member_token = accounts.create_api_token(session, session.get(Member, zoe), "t")[1]
        manager_id = session.scalar(select(Member.id).where(Member.email == "gerante@aix.example"))
        manager_token = accounts.create_api_token(session, session.get(Member, manager_id), "t")[1]
        session.commit()
    api = a.client()
    visits = api.get("/api/v1/pass/visits", headers={"Authorization": f"Bearer {member_token}"}).json
    assert [v["peer"] for v in visits] == [b.url]
    balance = api.get("/api/v1/passes/balances", headers={"Authorization": f"Bearer {manager_token}"}).json
    assert [(x["peer"], x["given"], x["received"], x["balance"]) for x in balance] == [(b.url, 0, 2, -2)]

    # A suspends Zoé; B syncs; her pass is refused there.
    assert manager_a.post(f"/admin/members/{zoe}/status", {"status": "suspended", "confirm": "1"}).status_code == 302
    a.runtime.wait_for_background()
    b.sync()
    assert _count(b, PassRevocation) == 1
    status, page = _desk(manager_b, codes[0])
    assert status == 422 and "withdrawn" in page

    balances = manager_a.get("/admin/passes?month=" + utcnow().strftime("%Y-%m"),
                             headers={"Accept-Language": "en"}).get_data(as_text=True)
    row = re.search(r'data-testid="balance-row">(.*?)</tr>', balances, re.S).group(1)
    cells = [re.sub(r"<[^>]+>|\s+", " ", c).strip() for c in re.findall(r"<td>(.*?)</td>", row, re.S)]
    assert cells[1:4] == ["0 / 2", "2 / 2", "-2"]
    # B turns its balance (2 days given) into a barter ledger entry, once.
    month = utcnow().strftime("%Y-%m")
    assert manager_b.post("/admin/passes/settle", {"peer": a.url, "month": month}).status_code == 302
    assert manager_b.post("/admin/passes/settle", {"peer": a.url, "month": month}).status_code == 409
    with b.session() as session:
        entry = session.scalar(select(BarterEntry))
        assert (entry.peer, entry.direction, entry.unit, entry.quantity) == (a.url, "given", "day", 2)


def _person_row(node, email: str) -> int:
    with node.session() as session:
        return session.scalar(select(Member.id).where(Member.email == email))


def _login(node, email: str) -> PortalClient:
    portal = PortalClient(node.client())
    assert portal.login(email).status_code == 302
    return portal


def test_forged_foreign_expired_misdirected_passes_and_replayed_visits_are_refused(live_nodes):
    a, b, c = live_nodes(3, names=["aix", "fontainebleau", "lyon"])
    live_nodes.peer_all()
    manager_a, manager_b = _person(a, "gerante@aix.example", "manager"), _person(b, "accueil@fbl.example", "manager")
    _agree(a, b, manager_a, manager_b, days=5)
    good = _code(_person(a, "zoe@aix.example"))
    now = int(utcnow().timestamp())
    key_a = a.runtime.signing_key()
    subject = bytes(10)
    forged = {
        "not_peer": token.encode(key=c.runtime.signing_key(), issuer=c.url, host=b.url,
                                 subject=subject, issued=now, expires=now + 3600),
        "stranger_key": token.encode(key=SigningKey.generate(), issuer=a.url, host=b.url,
                                     subject=subject, issued=now, expires=now + 3600),
        "expired": token.encode(key=key_a, issuer=a.url, host=b.url, subject=subject,
                                issued=now - 3 * 86400, expires=now - 86400),
        "other_host": token.encode(key=key_a, issuer=a.url, host=c.url, subject=subject,
                                   issued=now, expires=now + 3600),
    }
    raw = bytearray(token.from_text(good))
    raw[30] ^= 0x04  # one bit of the subject
    forged["tampered"] = token.to_text(bytes(raw))
    expected = {"not_peer": "no visiting agreement", "stranger_key": "forged",
                "expired": "expired", "other_host": "another space", "tampered": "forged"}
    for name, code in forged.items():
        status, page = _desk(manager_b, code)
        assert status == 422 and expected[name] in page, name
    assert _count(b, PassVisit) == 0 and _count(b, OutboxMessage, OutboxMessage.message_type == PASS_VISIT) == 0

    # A good visit, delivered; then the same visit again and a visit for a pass A never issued.
    assert _desk(manager_b, good)[0] == 200
    _deliver(b)
    assert _count(a, PassVisit) == 1
    with b.session() as session:
        visit = session.scalar(select(PassVisit))
        content = {"visit_id": visit.visit_id, "pass_id": visit.pass_id, "subject": visit.subject,
                   "day": visit.day.isoformat(), "space": "Fontainebleau"}
        inbox.send_inbox_message(session, a.url, PASS_VISIT, content,
                                 message_id=make_object_id(b.url, "pass/visit/replayed"))
        inbox.send_inbox_message(session, a.url, PASS_VISIT, {**content, "pass_id": "00" * 8,
                                 "visit_id": make_object_id(b.url, "pass/visit/invented")},
                                 message_id=make_object_id(b.url, "pass/visit/invented"))
        inbox.send_inbox_message(session, a.url, PASS_VISIT, {**content,
                                 "visit_id": make_object_id(c.url, "pass/visit/not-mine")},
                                 message_id=make_object_id(b.url, "pass/visit/not-mine"))
        session.commit()
    _deliver(b)
    assert _count(a, PassVisit) == 1  # the replay counted once, the invented ones refused
    with b.session() as session:
        refused = dict(session.execute(select(OutboxMessage.message_id, OutboxMessage.status)
                                       .where(OutboxMessage.message_type == PASS_VISIT)).all())
    assert refused[make_object_id(b.url, "pass/visit/replayed")] == "delivered"
    assert refused[make_object_id(b.url, "pass/visit/invented")] != "delivered"
    assert refused[make_object_id(b.url, "pass/visit/not-mine")] != "delivered"

    # Agreements have one writer: C cannot offer in A's name, nor accept or end A and B's.
    with a.session() as session:
        held = session.scalar(select(PassAgreement))
        terms = json.loads(held.terms)
        agreement_id = held.agreement_id
    with c.session() as session:
        for local, content in (
                ("offer-for-a", {"agreement_id": make_object_id(a.url, "pass/agreement/x"), "action": "offer",
                                 "terms": {**terms, "offerer": a.url}}),
                ("accept-theirs", {"agreement_id": agreement_id, "action": "accept", "terms": terms}),
                ("end-theirs", {"agreement_id": agreement_id, "action": "end", "terms": terms})):
            inbox.send_inbox_message(session, b.url, PASS_AGREEMENT, content,
                                     message_id=make_object_id(c.url, f"pass/{local}"))
        session.commit()
    _deliver(c)
    with b.session() as session:
        assert [(r.agreement_id, r.status) for r in session.scalars(select(PassAgreement))] == [
            (agreement_id, "active")]
    with c.session() as session:
        statuses = list(session.scalars(select(OutboxMessage.status).where(
            OutboxMessage.message_type == PASS_AGREEMENT)))
    assert len(statuses) == 3 and "delivered" not in statuses  # each refused by B


def test_ending_an_agreement_asks_first_then_both_sides_refuse_passes(live_nodes):
    a, b = live_nodes(2, names=["aix", "fontainebleau"])
    live_nodes.peer_all()
    manager_a, manager_b = _person(a, "gerante@aix.example", "manager"), _person(b, "accueil@fbl.example", "manager")
    _agree(a, b, manager_a, manager_b, days=2)
    code = _code(_person(a, "zoe@aix.example"))
    with a.session() as session:
        pk = session.scalar(select(PassAgreement.id))
    asked = manager_a.post(f"/admin/passes/agreements/{pk}/end", {}, headers={"Accept-Language": "en"})
    assert asked.status_code == 200 and "End the visiting agreement with" in asked.get_data(as_text=True)
    assert _count(a, PassAgreement, PassAgreement.status == "active") == 1  # nothing changed yet
    assert manager_a.post(f"/admin/passes/agreements/{pk}/end", {"confirm": "1"}).status_code == 302
    _deliver(a)
    assert _count(b, PassAgreement, PassAgreement.status == "ended") == 1
    status, page = _desk(manager_b, code)
    assert status == 422 and "no visiting agreement" in page
    with b.session() as session:  # the same through the API
        manager = session.scalar(select(Member).where(Member.email == "accueil@fbl.example"))
        bearer = {"Authorization": f"Bearer {accounts.create_api_token(session, manager, 't')[1]}"}
        session.commit()
    answer = b.client().post("/api/v1/passes/desk", json={"code": code}, headers=bearer)
    assert answer.status_code == 200 and answer.json["accepted"] is False
    assert answer.json["reason"] == "not_peer"
    agreements_seen = b.client().get("/api/v1/passes/agreements", headers=bearer).json
    assert [(x["status"], x["terms"]["offerer_members_days"]) for x in agreements_seen] == [("ended", 2)]


def test_an_erased_member_s_passes_are_refused_once_the_host_synced(live_nodes):
    """Erasure, not only suspension: the account and its passes go at A, the revocations stay
    on A's feed; B honours them at its next sync (both passes: for B alone and for any host)."""
    a, b = live_nodes(2, names=["aix", "fontainebleau"])
    live_nodes.peer_all()
    manager_a, manager_b = _person(a, "gerante@aix.example", "manager"), _person(b, "accueil@fbl.example", "manager")
    _agree(a, b, manager_a, manager_b, days=5)
    zoe_portal = _person(a, "zoe@aix.example")
    for_any = _code(zoe_portal)  # the first pass: valid at any space with an agreement
    assert zoe_portal.post("/pass", {"host": b.url, "show_name": "1"}).status_code == 302
    for_b = _code(zoe_portal)
    assert for_any != for_b
    assert _desk(manager_b, for_b)[0] == 200  # good before the erasure

    with a.session() as session:
        manager = session.scalar(select(Member).where(Member.email == "gerante@aix.example"))
        zoe = session.scalar(select(Member).where(Member.email == "zoe@aix.example"))
        accounts.erase_member(session, manager, zoe)
        session.commit()
    a.runtime.wait_for_background()
    assert _count(a, Member, Member.email == "zoe@aix.example") == 0
    b.sync()
    with b.session() as session:
        reasons = set(session.scalars(select(PassRevocation.reason)))
    assert reasons == {"erased"}
    for code in (for_b, for_any):
        status, page = _desk(manager_b, code)
        assert status == 422 and "withdrawn" in page
