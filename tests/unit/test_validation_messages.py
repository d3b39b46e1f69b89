"""What a refused input is told, in the reader's language: marshmallow's messages, the schemas'
own, the operations' codes, on pages and in the API (``node/http/messages.py``)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

from marshmallow import Schema, fields, validate

from node.errors import ValidationError
from node.http import messages

ROOT = Path(__file__).resolve().parents[2]
EN = {"Accept-Language": "en-GB,en;q=0.9"}
FR = {"Accept-Language": "fr-FR,fr;q=0.9"}


def _marshmallow_messages() -> set[str]:
    """Every message marshmallow can raise by default, its Range bounds written out."""
    found = set(Schema.error_messages.values()) | set(Schema._default_error_messages.values())
    for _name, cls in inspect.getmembers(fields, inspect.isclass):
        if issubclass(cls, fields.Field):
            found |= set(cls.default_error_messages.values())
    for _name, cls in inspect.getmembers(validate, inspect.isclass):
        if issubclass(cls, validate.Validator) and cls is not validate.Range:
            found |= {value for key, value in vars(cls).items()
                      if (key.startswith("message") or key == "default_message") and isinstance(value, str)}
    for min_inclusive in (True, False):
        for max_inclusive in (True, False):
            bounds = validate.Range(0, 1, min_inclusive=min_inclusive, max_inclusive=max_inclusive)
            found |= {bounds.message_min, bounds.message_max, bounds.message_all}
    return found


def _schema_messages() -> dict[str, str]:
    """The messages the schemas raise themselves (``ValidationError("...")``, a validator's
    ``error = "..."``), by file. Federation schemas answer peers, in the protocol's English."""
    found = {}
    for path in sorted((ROOT / "schemas").glob("*.py")):
        if path.name == "federation.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            text = None
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "ValidationError"
                    and node.args and isinstance(node.args[0], ast.Constant)):
                text = node.args[0].value
            elif (isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["error"]
                  and isinstance(node.value, ast.Constant)):
                text = node.value.value
            if isinstance(text, str):
                found[text] = path.name
    return found


def test_every_marshmallow_message_is_listed():
    """A marshmallow upgrade that rewords a message fails here, not in front of a member."""
    listed = set(messages.TEMPLATES) | set(messages.PLAIN)
    unlisted = {m for m in _marshmallow_messages() if m not in listed and messages.template_of(m) is None}
    assert unlisted == set()


def test_every_schema_message_has_a_french_translation(app):
    with app.test_request_context(headers=FR):
        untranslated = {text: where for text, where in _schema_messages().items()
                        if messages.translate(text) == text}
    assert untranslated == {}


def test_messages_with_values_are_translated_and_filled(app):
    with app.test_request_context(headers=FR):
        assert messages.translate("Length must be between 10 and 256.") == (
            "La longueur doit être comprise entre 10 et 256.")
        assert messages.translate("Must be greater than or equal to 1 and less than or equal to 1000.") == (
            "Valeur attendue : de 1 à 1000.")
        assert messages.translate("Must be one of: approval, closed.") == "Valeurs possibles : approval, closed."
        assert messages.translate("Not a valid datetime.") == "Valeur non valide (attendu : date et heure)."
        assert messages.translate("Not a valid email address.") == "Adresse e-mail non valide."
        assert messages.translate("Something no catalog knows.") == "Something no catalog knows."
    with app.test_request_context(headers=EN):
        assert messages.translate("Length must be between 10 and 256.") == "Length must be between 10 and 256."


def test_a_code_under_a_field_reads_as_the_errors_message_on_a_page_and_stays_a_code_in_the_api(app):
    error = ValidationError("The photo is larger than %(size)s KiB.", params={"size": 512},
                            fields={"photo": ["too_large"], "skills": {0: {"label": ["Not a valid string."]}}})
    with app.test_request_context(headers=FR):
        assert messages.error_message(error) == "La photo dépasse 512 Kio."
        assert messages.page_errors(error) == {"photo": ["La photo dépasse 512 Kio."],
                                               "skills": {0: {"label": ["Texte attendu."]}}}
        assert messages.translate_fields(error.fields)["photo"] == ["too_large"]
    assert str(error) == "The photo is larger than 512 KiB."


def test_signup_form_says_what_is_wrong_in_french(portal):
    response = portal.post("/signup", {"email": "not-an-address", "display_name": "Camille",
                                       "password": "short", "password_confirm": "other"}, headers=FR)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Adresse e-mail non valide." in page
    assert "La longueur doit être comprise entre 10 et 256." in page
    assert "Not a valid" not in page and "Length must" not in page


def test_api_validation_messages_follow_accept_language(client, create_member, api_token):
    manager = create_member(role="manager")
    headers = api_token(manager)
    body = {"email": "not-an-address", "colour": "blue"}
    french_response = client.post("/api/v1/admin/invitations", json=body, headers={**headers, **FR})
    english_response = client.post("/api/v1/admin/invitations", json=body, headers={**headers, **EN})
    assert (french_response.headers["Content-Language"], english_response.headers["Content-Language"]) == ("fr", "en")
    assert "Accept-Language" in english_response.headers["Vary"]
    french, english = french_response.json["error"], english_response.json["error"]
    default = client.post("/api/v1/admin/invitations", json=body, headers=headers).json["error"]
    assert french["code"] == english["code"] == "validation_error"
    assert french["fields"] == default["fields"] == {"email": ["Adresse e-mail non valide."],
                                                     "colour": ["Champ inconnu."]}
    assert english["fields"] == {"email": ["Not a valid email address."], "colour": ["Unknown field."]}
    assert french["message"] == "Les champs inconnus ne sont pas acceptés."
    assert english["message"] == "Unknown fields are not accepted."
