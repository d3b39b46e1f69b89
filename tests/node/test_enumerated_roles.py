"""Role checks on every route, by enumeration: the routes marked public are exactly an explicit
allow-list, every authenticated API operation refuses a request without a valid token, every
manager route refuses a signed-in member, and host-only event pages refuse a member who is not
a host of that event; none of these refusals changes a row."""

from __future__ import annotations

import pytest

from tests.node.enumerated_world import (
    ABSENT_ID,
    API,
    World,
    arrange_world,
    concrete,
    dispose_world,
    documented_operations,
    row_counts,
)

#: Every route anyone may call. An admin route wrongly marked public, or a new public route,
#: fails the test until it is reviewed and listed here.
PUBLIC_ENDPOINTS = {
    # JSON API: the document itself, the public agenda, the space card, public regional events
    "api_docs.openapi_json", "api_events.list_events", "api_events.get_event", "api_members.space",
    "api_regional.list_regional", "api_regional.get_regional", "api_regional.program",
    # signing in and out, invitations and password reset (their tokens are the credentials)
    "auth.login", "auth.logout", "auth.signup", "auth.accept_invitation", "auth.forgot_password",
    "auth.reset_password", "oidc.start", "oidc.callback",
    # the space's privacy notice, which a sign-up accepts
    "auth.privacy",
    # the public agenda and calendars; the personal feed is guarded by its secret token
    "events.agenda", "events.agenda_ics", "events.event_ics", "events.event_page", "events.personal_feed",
    # registration without an account to public events: the request, then its links (their
    # encrypted tokens are the credentials)
    "events.guest_register", "events.guest_confirm", "events.guest_registration", "events.guest_cancel",
    "events.guest_confirm_seat",
    "regional.index", "regional.program_page", "regional.program_ics", "regional.session_page",
    "regional.session_ics",
    # the digest opt-out link of a mail (its token), the home page, the language switch
    "connector.digest_opt_out", "notifications.stop", "portal.home", "portal.set_language",
    # federation: signed by the calling node, no cookies
    "federation.node_document", "federation.feed_page", "federation.inbox_post", "federation.peering",
}
OPERATIONS = documented_operations()
AUTHENTICATED = [op for op in OPERATIONS if "security" in op]


@pytest.fixture(scope="module")
def world(database_url, tmp_path_factory) -> World:
    arranged = arrange_world(database_url, str(tmp_path_factory.mktemp("instance")))
    arranged.ids.update(peer_id=ABSENT_ID)  # peers come from the federation
    yield arranged
    dispose_world(arranged)


def _rules(app, access: str):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if getattr(app.view_functions[rule.endpoint], "access", None) == access:
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method


def test_public_routes_are_exactly_the_allow_list(world):
    marked = {rule.endpoint for rule, _method in _rules(world.app, "public")}
    assert marked == PUBLIC_ENDPOINTS


def test_the_document_asks_a_token_of_every_route_not_public(world):
    public_ops = {op["operationId"].rsplit(".", 1)[0] for op in OPERATIONS if "security" not in op}
    assert public_ops == {e for e in PUBLIC_ENDPOINTS if e.startswith("api_")} - {"api_docs.openapi_json"}
    assert len(AUTHENTICATED) >= 60


@pytest.mark.parametrize("operation", AUTHENTICATED, ids=[op["operationId"] for op in AUTHENTICATED])
def test_api_operations_refuse_a_missing_or_forged_token(world, operation):
    client = world.client()
    url = concrete(operation["path"], world.ids)
    before = row_counts(world.app)
    for headers in ({}, {"Authorization": "Bearer cwn_forged"}, {"Authorization": "Basic YTpi"}):
        response = client.open(url, method=operation["method"].upper(), headers=headers, json={})
        assert response.status_code == 401, (headers, response.status_code)
        assert response.json["error"]["code"] == "unauthorized"
    assert row_counts(world.app) == before


def test_members_get_403_on_every_manager_route(world):
    """Portal pages and forms (with a valid CSRF token) and API operations, every method."""
    portal = world.portal("member")
    before = row_counts(world.app)
    allowed = []
    for rule, method in _rules(world.app, "manager"):
        url = concrete(rule.rule, world.ids)
        if rule.rule.startswith(API):
            response = world.client().open(url, method=method, headers=world.member, json={})
        elif method == "POST":
            response = portal.post(url, {"title": "x", "decision": "approve", "role": "manager"})
        else:
            response = portal.client.open(url, method=method)
        if response.status_code != 403:
            allowed.append((method, rule.rule, response.status_code))
    assert allowed == []
    assert row_counts(world.app) == before


def test_host_only_event_routes_refuse_a_member_who_is_not_a_host(world):
    """The registered member is no host: attendance and the attendee lists are not theirs; the
    host of the same event may use them."""
    registration = world.ids["registration_id"]
    occurrence = world.ids["occurrence_id"]
    host_only_pages = [(rule, method) for rule, method in _rules(world.app, "member")
                       if rule.rule.startswith("/events/admin/")]
    assert {r.endpoint for r, _m in host_only_pages} >= {"events.admin_attendance", "events.admin_occurrence",
                                                        "events.admin_attendees_csv"}
    attendance_api = f"{API}/events/registrations/{registration}/attendance"
    attendees_api = f"{API}/events/occurrences/{occurrence}/attendees"
    before = row_counts(world.app)

    portal = world.portal("member")
    for rule, method in host_only_pages:
        url = concrete(rule.rule, world.ids)
        response = portal.post(url, {"attendance": "present"}) if method == "POST" else portal.get(url)
        assert response.status_code == 403, (method, rule.rule)
    client = world.client()
    assert client.put(attendance_api, json={"attendance": "present"}, headers=world.member).status_code == 403
    assert client.get(attendees_api, headers=world.member).status_code == 403
    attendees = client.get(attendees_api, headers=world.host)
    assert attendees.status_code == 200 and attendees.json[0]["attendance"] is None
    assert row_counts(world.app) == before

    # The host of this event may mark it (and unmark it, leaving the world as it was).
    assert client.put(attendance_api, json={"attendance": "present"}, headers=world.host).json["attendance"] == "present"
    host_portal = world.portal("host")
    assert host_portal.post(concrete("/events/admin/registrations/<registration_id>/attendance", world.ids),
                            {"attendance": ""}).status_code == 302
    assert client.get(attendees_api, headers=world.host).json[0]["attendance"] is None
