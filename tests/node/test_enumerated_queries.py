"""No query string breaks a page: every GET route of the portal and the API, fed odd values for
each parameter its query schema declares (empty, huge, negative, a year 1, far future,
unicode, NUL, repeated), answers below 500 and changes nothing; portal pages ignore parameters
they do not know (a shared link's ``utm_source``, ``fbclid``), the API refuses them."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.node.enumerated_world import (
    ABSENT_ID,
    World,
    arrange_world,
    concrete,
    dispose_world,
    documented_operations,
    row_counts,
)

ODD = ["", "x" * 5000, "-1", "0", "0001-01", "9999-12", "99999999999999999999999", "1.5", "true",
       "é☃‮\u200b", "\x00", "[]", "{}", "2026-13-45", "../../etc"]
#: Parameters a shared link carries: ignored by pages.
TRACKING = {"utm_source": "newsletter", "utm_medium": "mail", "fbclid": "IwAR0x", "gclid": "x"}
#: GET routes a browser is not sent to with odd parameters by us: the OIDC dance goes to the
#: provider (tests/oidc covers it with its state checks).
SKIP = {"oidc.login", "oidc.callback", "static"}
#: What a read may write: the searches counted per member (rate limit), the node's key made on
#: first use.
READ_WRITES = {"network_search_counts", "node_keys"}


def rows(app) -> dict[str, int]:
    return {table: count for table, count in row_counts(app).items() if table not in READ_WRITES}


@pytest.fixture(scope="module")
def world(database_url, tmp_path_factory) -> World:
    arranged = arrange_world(database_url, str(tmp_path_factory.mktemp("instance")))
    arranged.ids.update({"peer_id": ABSENT_ID, "token": "jeton-inconnu", "filename": "coworknet.css"})
    yield arranged
    dispose_world(arranged)


def portal_pages(app) -> list[tuple[str, str, list[str]]]:
    """(endpoint, rule, the parameters its query schema declares) of every portal GET route."""
    pages = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in SKIP or rule.rule.startswith(("/api/", "/federation/")):
            continue
        schema = getattr(app.view_functions[rule.endpoint], "query_schema", None)
        names = [f.data_key or n for n, f in schema().load_fields.items()] if schema else []
        pages.append((rule.endpoint, rule.rule, names))
    return sorted(pages, key=lambda page: page[1])


def _url(path: str, params: dict | list) -> str:
    return f"{path}?{urlencode(params, doseq=True)}"


def test_the_pages_reading_a_query_declare_their_schema(world):
    declared = {endpoint for endpoint, _rule, names in portal_pages(world.app) if names}
    assert {"events.agenda", "admin.members", "portal.directory", "network.search", "regional.program_page",
            "connector.needs_board", "connector_admin.queue", "connector_admin.engagement"} <= declared


def test_every_portal_page_answers_odd_query_values_below_500(world):
    before = rows(world.app)
    manager = world.portal("manager")
    broken = []
    for endpoint, rule, names in portal_pages(world.app):
        path = concrete(rule, world.ids)
        tries = [{name: value for name in names} for value in ODD] if names else [{"q": "x" * 5000}]
        tries += [[(name, "1") for name in names] + [(name, "2") for name in names]]  # repeated
        tries += [TRACKING]
        for params in tries:
            status = manager.get(_url(path, params)).status_code
            if status >= 500:
                broken.append((endpoint, params if len(str(params)) < 200 else "huge", status))
    assert broken == []
    assert rows(world.app) == before


@pytest.mark.parametrize("path", ["/events?view=month&month=0001-01", "/events?view=month&month=9999-12",
                                  "/events?fbclid=x", "/events?view=month&utm_source=newsletter&month=2031-02"])
def test_shared_agenda_links_open(world, path):
    response = world.client().get(path)
    assert response.status_code == 200
    assert "Les champs inconnus ne sont pas acceptés" not in response.get_data(as_text=True)


def test_pages_ignore_the_parameters_of_a_shared_link(world):
    manager = world.portal("manager")
    ignored = []
    for endpoint, rule, names in portal_pages(world.app):
        if not names:
            continue
        path = concrete(rule, world.ids)
        plain, tracked = manager.get(path), manager.get(_url(path, TRACKING))
        if plain.status_code != 200 or tracked.status_code != 200:
            ignored.append((endpoint, plain.status_code, tracked.status_code))
    assert ignored == []
    shared = manager.get(_url(f"/regional/{world.ids['regional_id']}", {"utm_source": "newsletter"}))
    assert shared.status_code == 200


def test_every_api_read_answers_odd_query_values_below_500_and_stays_strict(world):
    before = rows(world.app)
    broken, lenient = [], []
    client = world.client()
    for operation in documented_operations():
        if operation["method"] != "get":
            continue
        names = [p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"]
        path = concrete(operation["path"], world.ids)  # the documented path holds /api/v1
        for value in ODD:
            response = client.get(_url(path, {name: value for name in names}), headers=world.manager)
            if response.status_code >= 500:
                broken.append((operation["operationId"], value[:20], response.status_code))
        if names:
            response = client.get(_url(path, TRACKING), headers=world.manager)
            if response.status_code != 422:
                lenient.append((operation["operationId"], response.status_code))
    assert broken == []
    assert lenient == []
    assert rows(world.app) == before
