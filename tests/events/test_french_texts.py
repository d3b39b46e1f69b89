"""The French portal in French: counts through ngettext, a space's name where a node is shown,
what the periodic jobs did, a member's account said without a gendered adjective."""

from __future__ import annotations

import pytest

from node.events import registrations
from node.events.registrations import Registrant
from node.federation.models import APPROVED, Peer
from node.periodic import MAIL_SUMMARY, STATS_SUMMARY, TICK_SUMMARY, WORK_SUMMARY
from node.web import space_of

FR = {"Accept-Language": "fr-FR,fr;q=0.9"}
EN = {"Accept-Language": "en-GB,en;q=0.9"}


@pytest.mark.parametrize(("seats", "taken", "french"), [
    (2, 1, "Il reste 1 place sur 2"), (2, 2, "2 places, toutes prises"), (5, 2, "Il reste 3 places sur 5")])
def test_seats_left_agree_with_their_count(portal, session, clock, make_event, create_member, seats, taken, french):
    event = make_event(capacity=seats, audience="public")
    for index in range(taken):
        person = create_member(email=f"p{index}@example.org")
        registrations.register(session, event.occurrences[0].id, Registrant.local(person), clock.now(), viewer=person)
    session.commit()
    page = portal.get(f"/events/{event.id}", headers=FR).get_data(as_text=True)
    assert french in page and "place(s)" not in page


def test_a_node_is_shown_by_its_spaces_name(app, session):
    session.add(Peer(node_id="http://127.0.0.1:5002", name="Le Mas des Platanes", status=APPROVED))
    session.commit()
    with app.test_request_context("/", headers=FR):
        assert "Le Mas des Platanes" in space_of("http://127.0.0.1:5002")
        assert space_of("https://unknown.example/") == "<bdi>unknown.example</bdi>"
        assert app.config["NODE_NAME"] in space_of(app.config["BASE_URL"])


def test_what_the_jobs_did_in_the_readers_language(app):
    stored = [TICK_SUMMARY(offers=1), STATS_SUMMARY(), WORK_SUMMARY(done=3, failed=0), MAIL_SUMMARY(sent=0, waiting=2)]
    assert stored[0] == "1 new seat offer(s)."  # the CLI and the logs keep their English
    with app.test_request_context("/", headers=FR):
        assert [TICK_SUMMARY.read(stored[0]), STATS_SUMMARY.read(stored[1]), WORK_SUMMARY.read(stored[2]),
                MAIL_SUMMARY.read(stored[3])] == [
            "1 nouvelle proposition de place.", "statistiques publiées", "3 suites données, 0 en échec",
            "0 mail envoyé, 2 en attente"]
        assert TICK_SUMMARY.read("something else") == "something else"
    with app.test_request_context("/", headers=EN):
        assert TICK_SUMMARY.read(stored[0]) == "1 new seat offer."


def test_an_accounts_status_and_its_change_say_nothing_of_gender(portal, create_member):
    manager = create_member(role="manager")
    person = create_member(display_name="Léa Martin", status="pending")
    portal.login(manager.email)
    response = portal.post(f"/admin/members/{person.id}/status", {"status": "active"},
                           headers=FR, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Le compte de Léa Martin est actif." in page and "est maintenant" not in page
    listing = portal.get("/admin/members", headers=FR).get_data(as_text=True)
    assert "compte actif" in listing


def test_time_zones_and_languages_by_their_names(app):
    from node.i18n import language_name, zone_label

    with app.test_request_context("/", headers=FR):
        assert [zone_label(z) for z in ("Europe/Paris", "America/New_York", "America/Montreal", "UTC")] == [
            "France — Paris", "États-Unis — New York", "Canada — Montreal", "UTC"]
        assert [language_name(code) for code in ("ar", "en", "fr")] == ["arabe", "anglais", "français"]
    with app.test_request_context("/", headers=EN):
        assert zone_label("Europe/Paris") == "France — Paris" and language_name("ar") == "Arabic"
