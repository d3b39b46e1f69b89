"""A confirmation before every destructive portal action: each POST rule whose name or path
says it cancels, removes, suspends, deletes, revokes, withdraws, refuses, declines, closes or
undoes something, and each form whose value does (suspend a member, make a manager, remove a
peer, cancel one date), sent without ``confirm=1`` by someone allowed to do it, changes no row
of any table and answers the confirmation page, whose form posts the same fields again with
``confirm=1`` and a CSRF token."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from node.accounts import accounts
from node.db import db
from node.federation.keyring import RUNTIME_INFO_KEY
from node.federation.models import APPROVED, Peer
from node.models import Base
from node.rosters.models import JoinRequest, Network
from tests.conftest import MEMBER_PASSWORD
from tests.node.enumerated_world import World, arrange_world, concrete, dispose_world

DESTRUCTIVE = re.compile(r"cancel|remove|suspend|delete|revoke|withdraw|refuse|decline|undo|close|stop|erase|purge")

#: endpoint -> (who posts, the form it sends). Each is refused without confirmation.
CONFIRMED = {
    "events.cancel": ("member", {}),
    "events.admin_cancel": ("manager", {"reason": "Salle inondée"}),
    "events.revoke_feed": ("member", {}),
    "admin.refuse_signup": ("manager", {}),
    "account.revoke_token": ("member", {}),
    "connector.close_need": ("member", {"outcome": "Trouvé"}),
    "network.decline": ("member", {}),
    "network.withdraw": ("member", {}),
    "regional.cancel_registration": ("member", {}),
    "regional.cancel": ("manager", {}),
    "regional.cancel_session": ("manager", {}),
    "curation.unmap_skill": ("manager", {"tag": "Kintsugi"}),
    "curation.withdraw": ("manager", {"tag": "Kintsugi"}),
    "account.erase": ("member", {}),
    "admin.erase_member": ("manager", {}),
}
#: Forms whose destructive meaning is in a value: (endpoint, who, form).
BY_VALUE = [
    ("admin.change_status", "manager", {"status": "suspended"}),
    ("admin.change_role", "manager", {"role": "manager"}),
    ("peers.decide", "manager", {"action": "suspend"}),
    ("peers.decide", "manager", {"action": "remove"}),
    ("events.admin_occurrence_update", "manager", {"is_cancelled": "on", "start_at": "", "end_at": ""}),
    ("rosters.decide", "manager", {"action": "refuse"}),
    ("rosters.roster", "manager", {"action": "remove", "node_id": "https://pair.example.org"}),
]
#: Destructive-sounding routes that ask no second question, with the reason.
EXEMPT = {
    "events.guest_cancel": "asks first too; its link needs a mailed token, so tests/events/"
                           "test_guests_and_listing.py checks the question and that nothing changes",
    "notifications.stop": "the page a mail's link opens is itself the question (GET, then one button)",
    "connector.digest_opt_out": "the page a mail's link opens is itself the question (GET, then one button)",
}


@pytest.fixture(scope="module")
def world(database_url, tmp_path_factory) -> World:
    arranged = arrange_world(database_url, str(tmp_path_factory.mktemp("instance")))
    app = arranged.app
    with db.new_session(app) as session:
        session.add(Peer(node_id="https://pair.example.org", name="La Ruche", status=APPROVED))
        # A network we coordinate, La Ruche on its roster, and a pending join request.
        runtime = app.extensions[RUNTIME_INFO_KEY]
        network = Network(network_id=f"{runtime.node_id}/network/sud", slug="sud",
                          name="Coworking Sud", publisher=runtime.node_id, is_ours=True,
                          coordinators_json=json.dumps([runtime.node_id]),
                          members_json=json.dumps([
                              {"node_id": runtime.node_id, "name": "Ici", "key_id": "k1",
                               "key": "x", "joined_ts": 1},
                              {"node_id": "https://pair.example.org", "name": "La Ruche",
                               "key_id": "k2", "key": "y", "joined_ts": 2}]))
        join = JoinRequest(network_id=network.network_id, node_id="https://autre.example.org")
        session.add_all([network, join])
        pending = accounts.create_member(session, app.extensions["coworknet.passwords"],
                                         email="attente@example.org", display_name="Paula Attente",
                                         password=MEMBER_PASSWORD, status="pending")
        session.commit()
        arranged.ids["peer_id"] = session.scalar(select(Peer.id))
        arranged.ids["pending_id"] = pending.id
        arranged.ids["network_pk"], arranged.ids["request_id"] = network.id, join.id
    yield arranged
    dispose_world(arranged)


def contents(app) -> dict[str, list]:
    """Every row of every table, as sorted text: any change of any value shows."""
    with db.engine(app).connect() as conn:
        return {table.name: sorted(map(repr, conn.execute(select(table)).all()))
                for table in Base.metadata.sorted_tables}


def destructive_rules(app) -> list:
    return sorted((r for r in app.url_map.iter_rules()
                   if "POST" in r.methods and not r.rule.startswith(("/api/", "/federation/"))
                   and (DESTRUCTIVE.search(r.endpoint) or DESTRUCTIVE.search(r.rule))),
                  key=lambda r: r.rule)


def test_every_destructive_route_is_confirmed_or_exempt_with_a_reason(world):
    names = {rule.endpoint for rule in destructive_rules(world.app)}
    assert names == set(CONFIRMED) | set(EXEMPT)
    assert len(CONFIRMED) >= 12


def _cases(app) -> list[tuple[str, str, str, dict]]:
    rules = {rule.endpoint: rule.rule for rule in app.url_map.iter_rules() if "POST" in rule.methods}
    cases = [(name, rules[name], who, form) for name, (who, form) in CONFIRMED.items()]
    cases += [(name, rules[name], who, form) for name, who, form in BY_VALUE]
    return cases


def test_without_confirmation_nothing_changes_and_the_question_is_asked(world):
    portals = {who: world.portal(who) for who in ("manager", "member")}
    before = contents(world.app)  # after signing in (which notes the time)
    unasked = []
    for name, rule, who, form in _cases(world.app):
        ids = dict(world.ids, member_id=world.ids["pending_id"]) if name == "admin.refuse_signup" else world.ids
        response = portals[who].post(concrete(rule, ids), form)
        html = response.get_data(as_text=True)
        path = concrete(rule, ids)
        asked = (response.status_code == 200 and "data-confirmation" in html
                 and 'name="confirm" value="1"' in html and 'name="csrf_token"' in html
                 and f'action="{path}"' in html
                 and all(f'name="{field}" value="{value}"' in html or f">{value}</textarea>" in html
                         for field, value in form.items() if value))
        if not asked:
            unasked.append((name, form, response.status_code))
    assert unasked == []
    assert contents(world.app) == before


def test_the_confirmation_page_posts_through(world):
    """The question's own form does what was asked: here, refusing the pending sign-up."""
    manager = world.portal("manager")
    path = f"/admin/members/{world.ids['pending_id']}/refuse"
    page = manager.post(path).get_data(as_text=True)
    question = page[page.index("data-confirmation"):]
    question = question[:question.index("</form>")]
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', question))
    assert fields["confirm"] == "1"
    response = manager.client.post(path, data=fields)
    assert response.status_code == 302
    with db.new_session(world.app) as session:
        assert accounts.find_by_email(session, "attente@example.org") is None
