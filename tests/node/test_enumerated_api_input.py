"""Bad input loses nothing, on every write operation of the served OpenAPI document.

Each POST/PUT/PATCH/DELETE operation, called with a token of the right role on real rows, gets
malformed JSON, an array, an unknown field and a wrong type for each declared field: every
answer is a 4xx in the project's error shape and no table gains or loses a row."""

from __future__ import annotations

import pytest

from tests.node.enumerated_world import (
    WRITE_METHODS,
    World,
    arrange_world,
    body_schema,
    concrete,
    dispose_world,
    documented_operations,
    row_counts,
)

WRITES = [op for op in documented_operations() if op["method"] in WRITE_METHODS]
UNKNOWN = "champ_inconnu"


@pytest.fixture(scope="module")
def world(database_url, tmp_path_factory) -> World:
    arranged = arrange_world(database_url, str(tmp_path_factory.mktemp("instance")))
    yield arranged
    dispose_world(arranged)


def wrong_value(prop: dict):
    """A JSON value of another type than the declared one."""
    return {"string": 12345, "integer": "douze", "number": "douze", "boolean": "peut-être",
            "array": "pas une liste", "object": "pas un objet"}.get(prop.get("type"), {"un": "objet"})


def assert_refused(response, status: int, code: str, field: str | None = None) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.json["error"]
    assert set(error) <= {"code", "message", "fields"}
    assert error["code"] == code and isinstance(error["message"], str) and error["message"]
    if field is not None:
        assert field in error["fields"], error


def test_every_write_operation_documents_its_body_and_refusals():
    assert len(WRITES) >= 40
    assert all(body_schema(op) is not None and {"400", "422"} <= set(op["responses"]) for op in WRITES)
    bodyless = [op["operationId"] for op in WRITES if body_schema(op) == {
        "type": "object", "properties": {}, "additionalProperties": False}]
    assert "api_events.register.post" in bodyless and "api_connector.confirm_value.post" in bodyless


@pytest.mark.parametrize("operation", WRITES, ids=[op["operationId"] for op in WRITES])
def test_bad_input_is_refused_and_changes_nothing(world, operation):
    view = world.app.view_functions[operation["operationId"].rsplit(".", 1)[0]]
    headers = world.manager if view.access == "manager" else world.host
    url = concrete(operation["path"], world.ids)
    client = world.client()
    before = row_counts(world.app)

    def send(**body):
        return client.open(url, method=operation["method"].upper(), headers=headers, **body)

    assert_refused(send(data='{"title": ', content_type="application/json"), 400, "malformed_json")
    assert_refused(send(json=[{"title": "x"}]), 400, "malformed_json")
    assert_refused(send(json={UNKNOWN: "x"}), 422, "validation_error", UNKNOWN)
    for name, prop in body_schema(operation)["properties"].items():
        if not prop.get("readOnly"):
            assert_refused(send(json={name: wrong_value(prop)}), 422, "validation_error", name)
    assert row_counts(world.app) == before
