"""Map domain errors and HTTP exceptions to JSON (API, federation) or to pages (portal)."""

from __future__ import annotations

import logging

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException, InternalServerError

from .db import db
from .errors import DomainError
from .http.forms import page_again
from .http.messages import error_message, translate_fields

logger = logging.getLogger(__name__)

JSON_PREFIXES = ("/api/", "/federation/", "/.well-known/")


def wants_json() -> bool:
    return request.path.startswith(JSON_PREFIXES)


def error_response(status: int, code: str, message: str, fields: dict | None = None):
    db.session.rollback()
    if wants_json():
        body = {"error": {"code": code, "message": message}}
        if fields:
            body["error"]["fields"] = fields
        response = jsonify(body)
        # The messages are in the language Accept-Language asked for (node.i18n.select_locale).
        response.headers["Content-Language"] = str(get_locale() or current_app.config["DEFAULT_LOCALE"])
        response.vary.add("Accept-Language")
        return response, status
    return render_template("error.html", status=status, code=code, error_message=message), status


def _domain_error(exc: DomainError):
    # Messages are marked with N_ where they are raised and translated here, in the reader's
    # language (as the pages' own messages are): JSON answers too, so an API client that asks
    # for English (Accept-Language) gets English and the code stays the stable identifier.
    if not wants_json():
        shown = page_again(exc)  # a refused portal form: its page again, as typed, fields marked
        if shown is not None:
            return shown
    return error_response(exc.status, exc.code, error_message(exc), translate_fields(exc.fields))


def _csrf_error(exc: CSRFError):
    return error_response(400, "csrf_failed", _("The form expired or was sent from elsewhere. Please try again."))


PAGE_MESSAGES = {
    400: lambda: _("The request is not valid."),
    401: lambda: _("Please sign in first."),
    403: lambda: _("You are not allowed to see this page."),
    404: lambda: _("This page does not exist."),
    405: lambda: _("This method is not allowed here."),
    413: lambda: _("What you sent is too large."),
    415: lambda: _("This type of content is not accepted here."),
    429: lambda: _("Too many requests. Please wait a moment."),
}


def _http_error(exc: HTTPException):
    status = exc.code or 500
    if status >= 500:
        return _server_error(exc)
    code = (exc.name or "error").lower().replace(" ", "_")
    message = PAGE_MESSAGES[status]() if status in PAGE_MESSAGES else (exc.description or exc.name)
    response = error_response(status, code, message)
    if status == 405 and getattr(exc, "valid_methods", None):
        response[0].headers["Allow"] = ", ".join(exc.valid_methods)
    return response


def _data_error(exc: Exception):
    """A value the schemas let through but the database cannot store (a number out of range,
    a NUL character): the client's input is at fault, not the server."""
    logger.warning("input refused by the database on %s %s: %s", request.method, request.path,
                   exc.__class__.__name__)
    return error_response(422, "validation_error", _("A value is out of range or not allowed."))


def _server_error(exc: Exception):
    original = getattr(exc, "original_exception", None) or exc
    if not isinstance(original, InternalServerError):
        logger.exception("unhandled error on %s %s", request.method, request.path, exc_info=original)
    return error_response(500, "server_error", _("Something went wrong on our side. Please try again later."))


def register(app: Flask) -> None:
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(DataError, _data_error)
    app.register_error_handler(OverflowError, _data_error)
    app.register_error_handler(Exception, _server_error)
