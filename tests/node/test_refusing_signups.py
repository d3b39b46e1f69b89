"""The manager refuses a pending sign-up (the person is told politely, in their language) and
never makes a pending account a manager; suspending asks first."""

from __future__ import annotations

from node.accounts import accounts


def test_a_refused_sign_up_is_deleted_and_told_in_its_language(portal, create_member, session, outbox):
    manager = create_member("cm@example.org", role="manager")
    waiting = create_member("jo@example.org", display_name="Jo Wilson", status="pending")
    waiting.locale = "en"
    session.commit()
    portal.login(manager.email)
    outbox.clear()  # the managers were told of the sign-up
    assert "Refuser l’inscription" in portal.get("/admin/members?status=pending").get_data(as_text=True)

    asked = portal.post(f"/admin/members/{waiting.id}/refuse")
    assert asked.status_code == 200 and "data-confirmation" in asked.get_data(as_text=True)
    assert accounts.find_by_email(session, "jo@example.org") is not None and outbox == []

    done = portal.post(f"/admin/members/{waiting.id}/refuse", {"confirm": "1"})
    assert done.status_code == 302
    session.expire_all()
    assert accounts.find_by_email(session, "jo@example.org") is None
    [mail] = outbox
    assert mail.to == "jo@example.org"
    assert mail.subject.startswith("Your sign-up request to")
    assert "Hello Jo Wilson" in mail.body and "Kind regards" in mail.body

    # An active member cannot be "refused": that is a suspension.
    member = create_member("actif@example.org")
    assert portal.post(f"/admin/members/{member.id}/refuse", {"confirm": "1"}).status_code == 409
    assert accounts.find_by_email(session, "actif@example.org") is not None


def test_a_pending_account_is_never_made_manager(portal, client, create_member, session, api_token):
    manager = create_member("cm@example.org", role="manager")
    waiting = create_member("attente@example.org", status="pending")
    portal.login(manager.email)
    assert "Make manager" not in portal.get("/admin/members?status=pending").get_data(as_text=True)
    assert "Nommer responsable" not in portal.get("/admin/members?status=pending").get_data(as_text=True)
    response = portal.post(f"/admin/members/{waiting.id}/role", {"role": "manager", "confirm": "1"})
    assert response.status_code == 409
    assert "approve the account first" in response.get_data(as_text=True) or \
        "validez d’abord le compte" in response.get_data(as_text=True)
    api = client.patch(f"/api/v1/admin/members/{waiting.id}", headers=api_token(manager), json={"role": "manager"})
    assert api.status_code == 409
    session.refresh(waiting)
    assert waiting.role == "member"


def test_suspending_asks_first(portal, create_member, session):
    manager = create_member("cm@example.org", role="manager")
    member = create_member("actif@example.org", display_name="Léa Active")
    portal.login(manager.email)
    asked = portal.post(f"/admin/members/{member.id}/status", {"status": "suspended"})
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Suspendre Léa Active ?" in html
    assert 'name="status" value="suspended"' in html
    session.refresh(member)
    assert member.status == "active"
    assert portal.post(f"/admin/members/{member.id}/status", {"status": "suspended", "confirm": "1"}).status_code == 302
    session.refresh(member)
    assert member.status == "suspended"
