"""Sign-up that tells nobody whether an address has an account, the consent to the space's
privacy notice (its version and date), and the login page after a wrong password."""

from __future__ import annotations

from sqlalchemy import select

from node.accounts import accounts
from node.accounts.models import PrivacyConsent, Space
from node.members.models import Member
from node.notifications.models import Notification, OutgoingMail

from ..conftest import count_rows

SIGNUP = {"display_name": "Camille D.", "password": "a long password 1",
          "password_confirm": "a long password 1", "accept_privacy": "1", "privacy_version": "0"}


def _space(session, **values) -> Space:
    space = Space(name="La Coque Bleue", city="Marseille", base_url="http://localhost", **values)
    session.add(space)
    session.commit()
    return space


def _page_text(response) -> str:
    """The page without what changes on every request (the CSRF token)."""
    import re

    return re.sub(r'(name="csrf[-_]token" (?:content|value)=")[^"]+', r"\1", response.get_data(as_text=True))


def test_signup_with_an_existing_address_looks_like_a_new_one_and_mails_the_owner(
        portal, session, create_member, outbox, clock):
    _space(session)
    owner = create_member("owner@example.org", display_name="Léa Martin", locale="en")
    members_before = count_rows(session, Member)

    new = portal.post("/signup", {**SIGNUP, "email": "new@example.org"})
    existing = portal.post("/signup", {**SIGNUP, "email": "Owner@Example.org"})

    assert new.status_code == existing.status_code == 200
    assert _page_text(new) == _page_text(existing)
    assert count_rows(session, Member) == members_before + 1  # only the new address
    mails = [m for m in session.scalars(select(OutgoingMail).where(OutgoingMail.to == owner.email))]
    assert [m.kind for m in mails] == ["account.signup_attempt"]
    sent = [m for m in outbox if m.to == owner.email]
    assert len(sent) == 1
    assert "sign in" in sent[0].body.lower() and "reset your password" in sent[0].body.lower()
    assert sent[0].body.count("/login") == 1

    # A second try within the hour: the same page again, no second mail.
    again = portal.post("/signup", {**SIGNUP, "email": "owner@example.org"})
    assert _page_text(again) == _page_text(new)
    assert len([m for m in outbox if m.to == owner.email]) == 1
    assert count_rows(session, Notification) >= 1


def test_signup_records_the_consent_with_the_version_and_date(portal, session, app, clock):
    space = _space(session)
    from node.accounts import spaces

    spaces.update_settings(session, space, {"privacy_notice": "Nous gardons **peu** de choses."}, clock.now())
    session.commit()
    assert space.privacy_notice_version == 1

    page = portal.get("/signup").get_data(as_text=True)
    assert "Nous gardons <strong>peu</strong> de choses." in page
    assert 'name="privacy_version" value="1"' in page

    response = portal.post("/signup", {**SIGNUP, "email": "new@example.org", "privacy_version": "1"})
    assert response.status_code == 200
    member = accounts.find_by_email(session, "new@example.org")
    consent = session.scalar(select(PrivacyConsent).where(PrivacyConsent.member_id == member.id))
    assert consent.notice_version == 1
    assert abs((consent.consented_at - clock.now()).total_seconds()) < 60


def test_signup_without_the_consent_keeps_what_was_typed_and_creates_nothing(portal, session):
    _space(session)
    form = {**SIGNUP, "email": "new@example.org"}
    del form["accept_privacy"]
    response = portal.post("/signup", form)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="new@example.org"' in page and 'id="accept_privacy-error"' in page
    assert accounts.find_by_email(session, "new@example.org") is None


def test_a_notice_changed_while_reading_asks_to_read_it_again(portal, session, clock):
    from node.accounts import spaces

    space = _space(session)
    spaces.update_settings(session, space, {"privacy_notice": "v1"}, clock.now())
    spaces.update_settings(session, space, {"privacy_notice": "v2"}, clock.now())
    session.commit()
    response = portal.post("/signup", {**SIGNUP, "email": "new@example.org", "privacy_version": "1"})
    assert response.status_code == 409
    assert accounts.find_by_email(session, "new@example.org") is None


def test_a_wrong_password_puts_the_focus_on_the_password_with_an_alert(portal, create_member):
    create_member("lea@example.org")
    response = portal.login("lea@example.org", "not the password")
    page = response.get_data(as_text=True)
    assert response.status_code == 401
    assert 'role="alert"' in page and 'class="error-summary"' in page
    field = page[page.index('id="password"'):]
    field = field[:field.index(">")]
    assert "autofocus" in field and 'aria-invalid="true"' in field
    assert 'value="lea@example.org"' in page
