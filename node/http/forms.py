"""Submitted forms: turn them into the plain data the shared marshmallow schemas validate, and
show a rejected one again as it was typed.

A view reads a form in three steps: ``form_values`` shapes what the browser sent, ``parse``
validates it with a schema (a rejection raises the domain ``ValidationError``, which the error
handlers turn into a 422 page), and, where the page offers it, ``show_again`` renders the form
again with the typed values and the errors. CSRF is checked before the view runs
(``security.csrf``); its token is never part of the data.
"""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import gettext as _
from marshmallow import Schema
from marshmallow import ValidationError as SchemaError
from werkzeug.datastructures import MultiDict

from ..db import db
from ..errors import N_, DomainError, ValidationError

#: What a checked box may send: the browser's default ``on`` or an explicit ``value="1"``.
CHECKBOX_TRUE = {"on", "1", "true", "yes"}
SKIP = {"csrf_token", "confirm"}  # "confirm": the confirmation step (node.http.confirm)


def form_values(form: MultiDict, *, checkboxes: tuple[str, ...] = (), lists: tuple[str, ...] = (),
                blank_is_none: tuple[str, ...] = (), integers: tuple[str, ...] = ()) -> dict:
    """A submitted form (or query string) as a plain dict, fit for a schema and for showing again.

    Each field keeps its first value, except those named in ``lists`` (all their non-blank
    values). ``checkboxes`` become ``True``/``False`` (an unchecked box is not sent at all).
    A blank ``blank_is_none`` or ``integers`` field becomes ``None``; digits in ``integers``
    become an ``int`` (strict schema integers refuse text); anything else stays as typed,
    for the schema to accept or refuse.
    """
    special = SKIP | set(checkboxes) | set(lists)
    values = {name: value for name, value in form.items() if name not in special}
    for name in lists:
        values[name] = [value for value in form.getlist(name) if value.strip()]
    for name in checkboxes:
        values[name] = form.get(name, "").lower() in CHECKBOX_TRUE
    for name in (*blank_is_none, *integers):
        if isinstance(values.get(name), str) and not values[name].strip():
            values[name] = None
    for name in integers:
        if isinstance(values.get(name), str) and values[name].strip().isdigit():
            values[name] = int(values[name])
    return values


def parse(schema: Schema, data: dict) -> dict:
    """Validate ``data`` with ``schema``; a rejected input raises the domain ValidationError."""
    try:
        return schema.load(data)
    except SchemaError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        raise ValidationError(_summary(messages), fields=messages) from None


def show_again(exc: DomainError, render: Callable[..., str], /, *args, **kwargs) -> tuple[str, int]:
    """Undo what the request wrote, then show the form again: ``render(*args, **kwargs)`` with
    the rejection's ``errors`` and ``message`` added, answered with its status (422 for a
    refused input).

    The arguments carry what was typed (``values=`` or the like); ``render`` is called after the
    rollback, so a page that lists things from the database should query them inside ``render``.
    """
    db.session.rollback()
    return render(*args, **kwargs, errors=exc.fields, message=_(exc.message)), exc.status


def _summary(messages: dict) -> str:
    unknown = [name for name, errs in messages.items() if errs == ["Unknown field."]]
    if unknown:
        return N_("Unknown fields are not accepted.")
    if set(messages) == {"_schema"}:
        return N_("The input is not valid.")
    return N_("Please check the highlighted fields.")
