"""Every manager form of the Coworking Week, the barter ledger, the connector queue, the
membership goal and the invitations keeps what was typed: sent from its page with one bad
value, it comes back on that page (not the error page) with every typed value in its field,
the bad field marked (``aria-invalid``, its message in French next to it) and no row of any
table changed. A POST route of these areas either has its case here or says why nothing
typed can be lost."""

from __future__ import annotations

import html as html_lib
import re
from datetime import timedelta

import pytest

from node.db import db
from node.federation.models import APPROVED, Peer
from tests.node.enumerated_world import World, arrange_world, concrete, dispose_world
from tests.node.test_enumerated_confirmations import contents

BASE = "http://coworknet.test"  # the test app's SERVER_NAME: the Referer of a page of this portal
AREAS = ("regional.", "connector_admin.", "admin.invitations", "rosters.", "passes.", "connector.decide",
         "network.accept", "network.ask_introduction")

#: endpoint -> (the page the form is on, its <h1>, the form sent, the bad field, a word of its
#: French message[, who sends it: the manager unless said]). Every non-empty value sent must
#: come back in its field.
CASES = {
    "regional.create": (
        "/regional/", "Événements régionaux",
        {"title": "Semaine de l’entraide", "region": "Bretagne sud", "starts_at": "lundi prochain",
         "ends_at": "{end}", "description": "Trois jours portes ouvertes", "visibility": "public"},
        "starts_at", "date"),
    "regional.add_session": (
        "/regional/{regional_id}", "Semaine du coworking",
        {"title": "Atelier linogravure", "type": "formation", "start_at": "{start}", "end_at": "{end}",
         "venue_id": "", "capacity": "une douzaine", "description": "Apportez un tablier"},
        "capacity", "entier"),
    "regional.edit_session": (
        "/regional/{regional_id}", "Semaine du coworking",
        {"start_at": "{start}", "end_at": "demain soir", "venue_id": "", "capacity": "12"},
        "end_at", "date"),
    "connector_admin.barter": (
        "/admin/connector/barter", "Registre du troc",
        {"member_id": "{member_id}", "peer": "", "direction": "received", "unit": "day",
         "quantity": "beaucoup", "service": "Salle de réunion du jeudi", "occurred_on": "{today}"},
        "quantity", "entier"),
    "connector_admin.set_state": (
        "/admin/connector/queue/{item_id}", "Demande",
        {"state": "matched", "note": "Rappelée mardi. " * 130}, "note", "2000"),
    "connector_admin.escalate": (
        "/admin/connector/queue/{item_id}", "Demande",
        {"message": "Une graphiste pour un logo, sous quinze jours. " * 25}, "message", "1000"),
    "connector_admin.goal": (
        "/admin/connector/engagement", "Engagement",
        {"goal_members": "cent vingt", "goal_regulars": "35", "regular_checkins": "4"},
        "goal_members", "entier"),
    "connector_admin.sibling": (
        "/admin/connector/engagement", "Engagement",
        {"node_id": "https://" + "ruche" * 60 + ".example.org", "sibling": "on"}, "node_id", "255"),
    "admin.invitations": (
        "/admin/invitations", "Invitations",
        {"email": "lea.martin@@exemple", "role": "manager"}, "email", "Adresse e-mail"),
    "rosters.create": (
        "/admin/networks", "Réseaux",
        {"name": "Réseau des tiers-lieux du Sud", "slug": "Tiers Lieux Sud !", "description": "Entraide et pass",
         "charter": "Chaque espace accueille les membres des autres."}, "slug", "format"),
    "rosters.join": (
        "/admin/networks", "Réseaux",
        {"network": "sud", "coordinator": "https://ruche.example.org"}, "network", "10"),
    "passes.offer": (
        "/admin/passes", "Pass réseau",
        {"peer": "https://pair.example.org", "offerer_members_days": "deux", "answerer_members_days": "3",
         "valid_from": "{today}", "valid_until": ""}, "offerer_members_days", "entier"),
    "connector.decide": (
        "/connector/introductions", "Mises en relation",
        {"decision": "accepted", "message": "Avec plaisir, appelez-moi le matin. " * 30}, "message", "1000",
        "host"),
}
#: POST routes of these areas with nothing typed to lose, and why.
NOTHING_TYPED = {
    "regional.register": "a button (and a box to tick)",
    "regional.cancel_registration": "a confirmation (tests/node/test_enumerated_confirmations.py)",
    "regional.cancel": "a confirmation",
    "regional.cancel_session": "a confirmation",
    "regional.answer": "two buttons",
    "regional.invite": "boxes to tick (the ticked ones stay ticked, checked below)",
    "regional.send_report": "a button",
    "connector_admin.propose": "a member chosen in a list",
    "connector_admin.answer_referral": "a button",
    "connector_admin.publish_stats": "a button",
    "connector_admin.digest": "a box to tick",
    "rosters.decide": "two buttons",
    "rosters.roster": "buttons by a space of the roster",
    "passes.answer": "two buttons",
    "passes.end": "a button",
    "passes.settle": "a button",
    "passes.choose": "boxes to tick",
    "passes.check": "a pass read by the desk's scanner, shown again by the desk itself",
    "passes.kiosk_check": "a pass read by the kiosk's scanner, shown again by the kiosk itself",
    "passes.kiosk_open": "a button",
    "passes.kiosk_end": "a button",
    "passes.kiosk_leave": "a button",
    "rosters.sharing": "a choice between two options, nothing typed",
    "rosters.accept_all": "a button",
}
#: Forms wired the same way whose row only another node creates (an introduction asked across
#: the network, a card of the network search): the world cannot arrange them.
NOT_ARRANGED = {
    "network.accept": "the reply to an introduction another space's member asked",
    "network.ask_introduction": "a card of the network search (another space's member)",
}


@pytest.fixture(scope="module")
def world(database_url, tmp_path_factory) -> World:
    arranged = arrange_world(database_url, str(tmp_path_factory.mktemp("instance")))
    with db.new_session(arranged.app) as session:
        session.add(Peer(node_id="https://pair.example.org", name="La Ruche", status=APPROVED))
        session.commit()
    start = arranged.clock.now() + timedelta(days=12)
    arranged.ids.update(start=start.strftime("%Y-%m-%dT%H:%M"),
                        end=(start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
                        today=arranged.clock.now().date().isoformat())
    yield arranged
    dispose_world(arranged)


def _fill(text: str, ids: dict) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(ids[m[1]]), text)


def _form(html: str, action: str) -> str:
    """The <form> posting to ``action`` (the first one)."""
    start = html.index(f'action="{action}"')
    return html[html.rindex("<form", 0, start):html.index("</form>", start)]


def _control(form: str, name: str) -> str:
    match = re.search(rf'<(input|textarea|select)\b[^>]*\bname="{name}"[^>]*>(.*?</\1>)?', form, re.S)
    assert match, name
    return match.group(0)


def _shows(control: str, value: str) -> bool:
    escaped = html_lib.escape(value)
    if control.startswith("<select"):
        return re.search(rf'<option value="{re.escape(escaped)}"\s*selected>', control) is not None
    if control.startswith("<textarea"):
        return f">{escaped}</textarea>" in control
    return f'value="{escaped}"' in control


def test_every_post_route_of_these_areas_has_its_case_or_its_reason(world):
    names = {rule.endpoint for rule in world.app.url_map.iter_rules()
             if "POST" in rule.methods and rule.endpoint.startswith(AREAS)}
    assert names == set(CASES) | set(NOTHING_TYPED) | set(NOT_ARRANGED)


@pytest.mark.parametrize("endpoint", sorted(CASES))
def test_a_bad_value_comes_back_as_typed_with_its_field_marked(world, endpoint):
    page, heading, form, bad, word, *who = CASES[endpoint]
    page = _fill(page, world.ids)
    form = {name: _fill(value, world.ids) for name, value in form.items()}
    rules = {rule.endpoint: rule.rule for rule in world.app.url_map.iter_rules() if "POST" in rule.methods}
    action = concrete(rules[endpoint], world.ids)
    manager = world.portal(who[0] if who else "manager")
    assert f'action="{action}"' in manager.get(page).get_data(as_text=True)  # the form is on that page
    before = contents(world.app)

    response = manager.post(action, form, headers={"Referer": BASE + page})
    html = response.get_data(as_text=True)
    assert response.status_code in (400, 409, 422), (endpoint, response.status_code)
    assert '<section class="error">' not in html and heading in html
    shown = _form(html, action)
    for name, value in form.items():
        if value and name != "sibling" and not re.search(rf'<button\b[^>]*\bname="{name}"', shown):
            assert _shows(_control(shown, name), value), (endpoint, name)
    marked = _control(shown, bad)
    assert 'aria-invalid="true"' in marked
    described = re.search(r'aria-describedby="([^" ]+-error)', marked).group(1)
    message = re.search(rf'<p class="field-error" id="{described}">(.*?)</p>', shown, re.S)
    assert message and word in message.group(1), (endpoint, message and message.group(1))
    others = [name for name in form if name != bad
              and re.search(rf'<(input|textarea|select)\b[^>]*\bname="{name}"', shown)]
    assert not any('aria-invalid' in _control(shown, name) for name in others), endpoint
    assert contents(world.app) == before


def test_an_invitation_with_no_space_ticked_comes_back_on_the_program(world):
    """The invitation form is boxes to tick: sent with none, the program comes back, nothing changed."""
    manager = world.portal("manager")
    page = f"/regional/{world.ids['regional_id']}"
    action = f"/regional/{world.ids['regional_id']}/invitations"
    before = contents(world.app)
    response = manager.post(action, {}, headers={"Referer": BASE + page})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Semaine du coworking" in html
    assert contents(world.app) == before
