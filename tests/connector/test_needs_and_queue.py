"""Needs board and connector queue through the portal and the API."""

from __future__ import annotations

from datetime import timedelta

from node.models import Candidate, Need, NeedAnswer, QueueItem
from tests.conftest import count_rows


def _manager(create_member):
    return create_member("cm@example.org", display_name="Inès", role="manager")


def test_need_posted_matched_answered_and_closed_through_the_portal(portal, session, create_member, clock):
    author = create_member("alice@example.org", display_name="Alice")
    translator = create_member("tom@example.org", display_name="Tom",
                               skills=[("traduction anglais-français", "expert")])
    create_member("bob@example.org", display_name="Bob", skills=[("plomberie", "confirme")])
    portal.login("alice@example.org")
    response = portal.post("/connector/needs", {
        "text": "Je cherche un traducteur anglais-français pour mon site",
        "budget": "1 250,50", "deadline": (clock.now() + timedelta(days=60)).date().isoformat()})
    assert response.status_code == 302
    need = session.query(Need).one()
    assert need.budget_cents == 125050 and isinstance(need.budget_cents, int)
    assert "translation-en-fr" in need.concept_ids
    assert "scientific-research" not in need.concept_ids  # "je cherche" is not a skill
    page = portal.get(f"/connector/needs/{need.id}").get_data(as_text=True)
    suggested = page.split('id="suggested"')[1].split("</section>")[0]
    assert "Tom" in suggested and "Bob" not in suggested  # suggested by skill
    assert "1 250,50" in page.replace("\u202f", " ").replace("\xa0", " ")
    item = session.query(QueueItem).one()
    assert item.kind == "need" and item.state == "new" and item.first_response_at is None

    portal.post("/logout")
    portal.login("tom@example.org")
    assert portal.post(f"/connector/needs/{need.id}/answers", {"message": "Je peux, écrivez-moi."}).status_code == 302
    session.expire_all()
    assert session.query(NeedAnswer).one().member_id == translator.id
    assert session.get(QueueItem, item.id).first_response_at is not None
    # only the author closes
    assert portal.post(f"/connector/needs/{need.id}/close", {"outcome": "x", "confirm": "1"}).status_code == 403

    portal.post("/logout")
    portal.login("alice@example.org")
    assert portal.post(f"/connector/needs/{need.id}/close", {"outcome": "Tom a traduit le site.", "confirm": "1"}).status_code == 302
    session.expire_all()
    need = session.get(Need, need.id)
    assert need.status == "closed" and need.outcome == "Tom a traduit le site."
    item = session.get(QueueItem, item.id)
    assert item.state == "done" and item.resolved_at is not None
    assert author.id == need.author_id


def test_invalid_needs_write_nothing(portal, session, create_member, api_token, client, clock):
    member = create_member("alice@example.org")
    portal.login("alice@example.org")
    yesterday = (clock.now() - timedelta(days=1)).date().isoformat()  # a deadline in the past
    for form in ({"text": ""}, {"text": "ok", "budget": "12.3456"}, {"text": "ok", "budget": "-5"},
                 {"text": "ok", "deadline": yesterday}, {"text": "ok", "extra": "1"}):
        assert portal.post("/connector/needs", form).status_code in (400, 422)
    headers = api_token(member)
    for body in ({"text": "traduction", "budget": 12.5}, {"text": "traduction", "budget": 1250},
                 {"text": "x", "unknown": True}, {}):
        assert client.post("/api/v1/needs", json=body, headers=headers).status_code == 422
    assert count_rows(session, Need) == 0
    assert count_rows(session, QueueItem) == 0


def test_api_need_flow_and_money_as_text(client, session, create_member, api_token):
    alice = create_member("alice@example.org")
    tom = create_member("tom@example.org", skills=[("comptabilité", "expert")])
    created = client.post("/api/v1/needs", headers=api_token(alice),
                          json={"text": "Qui peut tenir ma comptabilité ?", "budget": "800"})
    assert created.status_code == 201, created.json
    assert created.json["budget"] == "800.00" and created.json["budget_cents"] == 80000
    need_id = created.json["id"]
    answer = client.post(f"/api/v1/needs/{need_id}/answers", headers=api_token(tom), json={"message": "Moi"})
    assert answer.status_code == 201
    assert client.post(f"/api/v1/needs/{need_id}/answers", headers=api_token(alice),
                       json={"message": "self"}).status_code == 403
    listed = client.get("/api/v1/needs", headers=api_token(tom)).json
    assert [n["id"] for n in listed] == [need_id]
    closed = client.post(f"/api/v1/needs/{need_id}/close", headers=api_token(alice), json={"outcome": "Trouvé"})
    assert closed.json["status"] == "closed"
    assert client.get("/api/v1/needs?status=closed", headers=api_token(tom)).json[0]["outcome"] == "Trouvé"


def test_queue_states_consent_and_response_times(portal, session, create_member, client, api_token):
    manager = _manager(create_member)
    alice = create_member("alice@example.org", display_name="Alice")
    photographer = create_member("paul@example.org", display_name="Paul", skills=[("photographie", "expert")])
    portal.login("alice@example.org")
    assert portal.post("/connector/ask", {"text": "Je voudrais rencontrer un photographe"}).status_code == 302
    item = session.query(QueueItem).one()
    assert item.kind == "introduction" and item.requester_id == alice.id

    # members cannot see the queue
    assert portal.get("/admin/connector/queue").status_code == 403
    portal.post("/logout")
    portal.login("cm@example.org")
    page = portal.get(f"/admin/connector/queue/{item.id}").get_data(as_text=True)
    assert "Paul" in page  # suggested from the space
    assert portal.post(f"/admin/connector/queue/{item.id}/candidates",
                       {"member_id": str(photographer.id)}).status_code == 302
    # proposing the requester is refused and writes nothing
    assert portal.post(f"/admin/connector/queue/{item.id}/candidates",
                       {"member_id": str(alice.id)}).status_code == 422
    assert count_rows(session, Candidate) == 1
    session.expire_all()
    assert session.get(QueueItem, item.id).state == "matched"

    portal.post("/logout")
    portal.login("paul@example.org")
    assert "photographe" in portal.get("/connector/introductions").get_data(as_text=True)
    candidate = session.query(Candidate).one()
    assert portal.post(f"/connector/introductions/{candidate.id}", {"decision": "accepted"}).status_code == 302
    session.expire_all()
    assert session.get(QueueItem, item.id).state == "introduced"
    # a second answer is a conflict
    assert portal.post(f"/connector/introductions/{candidate.id}", {"decision": "declined"}).status_code == 409

    headers = api_token(manager)
    done = client.patch(f"/api/v1/admin/connector/queue/{item.id}", headers=headers,
                        json={"state": "done", "note": "Ils se sont vus."})
    assert done.status_code == 200 and done.json["resolved_at"]
    assert client.patch(f"/api/v1/admin/connector/queue/{item.id}", headers=headers,
                        json={"state": "closed"}).status_code == 422
    assert client.get("/api/v1/admin/connector/queue", headers=api_token(alice)).status_code == 403
    page = portal.get("/admin/connector/queue")
    assert page.status_code == 403
    portal.post("/logout")
    portal.login("cm@example.org")
    page = portal.get("/admin/connector/queue").get_data(as_text=True)
    assert "Median time to a first response" in page or "Délai médian" in page


def test_board_queue_and_digest_queries_are_validated(portal, create_member):
    manager = create_member("cm-queries@example.org", role="manager")
    portal.login(manager.email)
    assert portal.get("/connector/needs?status=closed").status_code == 200
    assert portal.get("/admin/connector/queue?state=done").status_code == 200
    assert portal.get("/admin/connector/engagement?month=2026-02").status_code == 200
    assert portal.get(f"/admin/connector/digest?member_id={manager.id}").status_code == 200
    # A value a page does not know is set aside and said (a shared link keeps opening).
    for url in ("/connector/needs?status=archived", "/admin/connector/queue?state=lost",
                "/admin/connector/engagement?month=Feb", "/admin/connector/digest?member_id=abc"):
        refused = portal.get(url)
        assert refused.status_code == 200 and "n’a pas été comprise" in refused.get_data(as_text=True), url
    assert portal.get("/admin/connector/digest?member_id=999").status_code == 404


def test_board_pages_newest_first_and_counts_answers(portal, session, create_member, clock):
    from node.connector import needs
    from node.web.connector import NEEDS_PAGE

    author = create_member("author-pages@example.org", display_name="Alice")
    helper = create_member("helper-pages@example.org", display_name="Tom")
    posted = []
    for index in range(NEEDS_PAGE + 2):
        need = needs.create_need(session, author, text=f"Besoin numéro {index:03d} pour un site")
        need.created_at = clock.now() - timedelta(hours=NEEDS_PAGE + 2 - index)
        posted.append(need)
    session.flush()
    for _ in range(3):
        needs.answer_need(session, posted[-1], helper, "Je peux aider.")
    session.commit()
    portal.login(helper.email)
    first = portal.get("/connector/needs").get_data(as_text=True)
    assert f"Besoin numéro {NEEDS_PAGE + 1:03d}" in first and "Besoin numéro 000" not in first
    assert first.count("Besoin numéro") == NEEDS_PAGE
    assert "3 réponses" in first and 'rel="next"' in first and 'rel="prev"' not in first
    second = portal.get("/connector/needs?page=2").get_data(as_text=True)
    assert "Besoin numéro 000" in second and "Besoin numéro 001" in second
    assert second.count("Besoin numéro") == 2 and 'rel="prev"' in second and 'rel="next"' not in second
    # A page past the end is empty, not an error; a page number that is not one is said.
    assert "Besoin numéro" not in portal.get("/connector/needs?page=9").get_data(as_text=True)
    assert "n’a pas été comprise" in portal.get("/connector/needs?page=zero").get_data(as_text=True)
