"""Error pages in the reader's language, and API errors as JSON without a traceback."""

from __future__ import annotations

import logging

import pytest

from node import create_app
from node.db import db
from node.federation.keyring import RUNTIME_INFO_KEY
from node.http.security import public
from tests.conftest import TEST_SETTINGS, _empty_all_tables

EN = {"Accept-Language": "en-US,en;q=0.8"}
INTERNAL_DETAIL = "connection to db-internal.example:5432 refused"


@pytest.fixture
def failing_app(database_url, tmp_path):
    """A test app with views that fail, and exceptions handled as in production."""
    app = create_app({**TEST_SETTINGS, "DATABASE_URL": database_url, "PROPAGATE_EXCEPTIONS": False,
                      "INSTANCE_PATH": str(tmp_path / "instance")})

    def boom():
        raise RuntimeError(INTERNAL_DETAIL)

    app.add_url_rule("/boom", "boom", public(boom))
    app.add_url_rule("/api/v1/boom", "api_boom", public(boom))
    yield app
    app.extensions[RUNTIME_INFO_KEY].wait_for_background()
    _empty_all_tables(app)
    db.engine(app).dispose()


def test_forbidden_page_in_french_then_english(portal, create_member):
    member = create_member()
    portal.login(member.email)
    response = portal.get("/events/admin")
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert '<html lang="fr">' in page
    assert "Accès refusé" in page and "Vous n’avez pas accès à cette page." in page
    page = portal.get("/events/admin", headers=EN).get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Access denied" in page and "You are not allowed to see this page." in page


def test_server_error_page_in_french_then_english(failing_app, caplog):
    client = failing_app.test_client()
    with caplog.at_level(logging.ERROR, logger="node.errors_http"):
        response = client.get("/boom")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert '<html lang="fr">' in page
    assert "Erreur du serveur" in page and "Une erreur s’est produite de notre côté." in page
    assert INTERNAL_DETAIL not in page and "Traceback" not in page
    # The operator still gets the details in the log.
    assert any(INTERNAL_DETAIL in str(record.exc_info[1]) for record in caplog.records if record.exc_info)

    response = client.get("/boom", headers=EN)
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Server error" in page and "Something went wrong on our side." in page
    assert INTERNAL_DETAIL not in page


def test_api_server_error_is_json_without_traceback(failing_app):
    client = failing_app.test_client()
    response = client.get("/api/v1/boom", headers=EN)
    assert response.status_code == 500
    assert response.mimetype == "application/json"
    assert response.json == {"error": {"code": "server_error",
                                       "message": "Something went wrong on our side. Please try again later."}}
    text = response.get_data(as_text=True)
    assert INTERNAL_DETAIL not in text and "Traceback" not in text and "RuntimeError" not in text
    french = client.get("/api/v1/boom").json
    assert french["error"]["message"] == "Une erreur s’est produite de notre côté. Veuillez réessayer plus tard."
