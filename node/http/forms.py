"""Submitted forms: turn them into the plain data the shared marshmallow schemas validate, and
show a rejected one again as it was typed.

A view reads a form in three steps: ``form_values`` shapes what the browser sent, ``parse``
validates it with a schema (a rejection raises the domain ``ValidationError``), and the form
comes back as typed, its fields marked. Two ways, one result:

- a view that renders its own form calls ``show_again`` with the values and its render
  function (the event form, the profile);
- any other refused form (a ``DomainError`` of 400, 409 or 422 on a portal POST) is shown
  again by the error handler through :func:`page_again`: the page the form was sent from
  (its same-site ``Referer``, a GET page of this portal) is rendered anew with
  ``g.form_state``, what was typed and the errors by field, which templates read with
  ``form_state(action)`` for the form posting to ``action`` (``macros.html`` marks the
  fields: ``aria-invalid``, the message next to the field). Without such a page, the
  error page.

CSRF is checked before the view runs (``security.csrf``); its token is never part of the data.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from urllib.parse import urlsplit

from flask import current_app, flash, g, request, session
from flask.ctx import RequestContext
from flask_babel import gettext as _
from marshmallow import Schema
from marshmallow import ValidationError as SchemaError
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.test import EnvironBuilder

from ..db import db
from ..errors import N_, DomainError, ValidationError
from .messages import error_message, page_errors

logger = logging.getLogger(__name__)

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


def query(schema_class: type[Schema], **shape) -> Callable:
    """A GET page reads its query string with ``schema_class``, leniently (:func:`query_values`),
    and gets the result as its ``query`` argument. ``shape`` is given to ``form_values``. The
    declaration stays on the view (``query_schema``) for the tests that feed every page's
    parameters odd values."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def reading(*args, **kwargs):
            return view(*args, **kwargs, query=query_values(schema_class(), request.args, **shape))

        reading.query_schema = schema_class
        return reading

    return decorate


def query_values(schema: Schema, args: MultiDict, **shape) -> dict:
    """A page's query string as ``schema`` loads it, the way a shared link needs it read:
    parameters the page does not know (``utm_source``, ``fbclid``...) are ignored, and a value it
    refuses is dropped (its default applies) with a word to the reader. Writes stay strict."""
    known = {f.data_key or name for name, f in schema.load_fields.items()}
    # A blank parameter is no filter (an empty select sends ``language=``).
    values = {name: value for name, value in form_values(args, **shape).items()
              if name in known and value != ""}
    try:
        return schema.load(values)
    except SchemaError as exc:
        refused = set(exc.messages) if isinstance(exc.messages, dict) else set(values)
        flash(_("Part of the address of this page was not understood and is ignored."), "error")
        return schema.load({name: value for name, value in values.items() if name not in refused})


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
    return render(*args, **kwargs, errors=page_errors(exc), message=error_message(exc)), exc.status


def _summary(messages: dict) -> str:
    unknown = [name for name, errs in messages.items() if errs == ["Unknown field."]]
    if unknown:
        return N_("Unknown fields are not accepted.")
    if set(messages) == {"_schema"}:
        return N_("The input is not valid.")
    return N_("Please check the highlighted fields.")


# --- a refused form shown again on its page ---------------------------------------------------

#: The refusals that come back on the form's page (the input is at fault); others (403, 404,
#: 429) keep their error page.
SHOWN_AGAIN = {400, 409, 422}


@dataclass
class FormState:
    """A refused form: the path it posted to, what was typed, and the messages by field."""

    action: str = ""
    values: MultiDict = field(default_factory=MultiDict)
    errors: dict = field(default_factory=dict)

    def get(self, name: str, default: object = "") -> object:
        """What was typed in ``name`` (``default`` when this form was not refused)."""
        return self.values.get(name, default) if self.action else default

    def getlist(self, name: str, default: list | None = None) -> list:
        return self.values.getlist(name) if self.action else (default or [])

    def __bool__(self) -> bool:
        return bool(self.action)


def form_state(action: str) -> FormState:
    """For a template: what was typed in the form posting to ``action``, when it was just
    refused (an empty state otherwise)."""
    state = g.get("form_state")
    if state is not None and state.action == urlsplit(action).path:
        return state
    return FormState()


def keep_as_typed(exc: DomainError) -> int:
    """Undo what the request wrote and keep the refused form of this request as typed, for the
    page rendered next (``g.form_state``, read by ``form_state(request.path)``), its message
    flashed; the refusal's status. For a view that answers its own form on its own page."""
    db.session.rollback()
    g.form_state = FormState(request.path, MultiDict(
        (k, v) for k, v in request.form.items(multi=True) if k not in SKIP), page_errors(exc))
    flash(error_message(exc), "error")
    return exc.status


def page_again(exc: DomainError) -> tuple[str, int] | None:
    """The page the refused form was sent from, rendered again with what was typed and the
    errors (``g.form_state``), answered with the refusal's status; None when there is no such
    page (no same-site referrer, not a GET page of this portal, or it cannot be shown)."""
    if request.method != "POST" or exc.status not in SHOWN_AGAIN:
        return None
    referrer = request.referrer or ""
    if not referrer.startswith(request.host_url):
        return None
    page = urlsplit(referrer)
    try:
        endpoint, view_args = current_app.create_url_adapter(request).match(page.path, method="GET")
    except HTTPException:
        return None
    view = current_app.view_functions.get(endpoint)
    if view is None or endpoint == "static" or page.path.startswith(("/api/", "/federation/")):
        return None
    keep_as_typed(exc)
    environ = EnvironBuilder(path=page.path, query_string=page.query, method="GET",
                             base_url=request.host_url, headers=list(request.headers.items())).get_environ()
    # The same session: its CSRF token, its flashes.
    context = RequestContext(current_app._get_current_object(), environ, session=session._get_current_object())
    try:
        with context:
            answer = view(**view_args)
    except Exception:  # noqa: BLE001 - the page could not be shown again: the error page instead
        logger.info("a refused form's page %s could not be shown again", endpoint, exc_info=True)
        db.session.rollback()
        return None
    body = answer[0] if isinstance(answer, tuple) else answer
    return (body, exc.status) if isinstance(body, str) else None
