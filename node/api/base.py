"""How every JSON endpoint is declared: access level, input schema, output schema, docs."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import Blueprint, g, jsonify, request
from marshmallow import Schema
from werkzeug.exceptions import BadRequest as WerkzeugBadRequest

from schemas.common import NoBodySchema

from ..accounts import accounts
from ..db import db
from ..errors import N_, BadRequest, Forbidden, Unauthorized
from ..http.forms import parse
from ..http.security import MANAGER, MEMBER, PUBLIC

API_PREFIX = "/api/v1"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _bearer_member():
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(N_("Send a personal access token: `Authorization: Bearer <token>`."))
    member = accounts.member_for_api_token(db.session, token.strip())
    if db.session.dirty:  # the token's last use moved (a few times an hour): kept, even on a GET
        db.session.commit()
    return member


def _json_body() -> dict:
    if not request.is_json:
        raise BadRequest(N_("Send a JSON body with `Content-Type: application/json`."), code="unsupported_media_type")
    try:
        body = request.get_json()
    except WerkzeugBadRequest:
        raise BadRequest(N_("The body is not valid JSON."), code="malformed_json") from None
    if not isinstance(body, dict):
        raise BadRequest(N_("The body must be a JSON object."), code="malformed_json")
    return body


def _refuse_a_body() -> None:
    """A write operation without a declared body refuses one rather than silently ignore it:
    a client sending fields (a typo, an outdated version) learns they were not applied."""
    if request.get_data(cache=True).strip():
        parse(NoBodySchema(), _json_body())


def endpoint(
    bp: Blueprint,
    rule: str,
    *,
    methods: tuple[str, ...] = ("GET",),
    access: str = MEMBER,
    summary: str,
    body: type[Schema] | None = None,
    body_optional: bool = False,
    query: type[Schema] | None = None,
    response: type[Schema] | Schema | None = None,
    status: int = 200,
    tags: tuple[str, ...] = (),
) -> Callable:
    """Register a JSON route; the view gets ``data`` (validated body or query) when declared.

    A write operation declaring no ``body`` accepts an empty body (or ``{}``) only; with
    ``body_optional``, an empty body reads as ``{}`` (every field of ``body`` has its default),
    so a field added to an operation that took none does not break its callers."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            g.api_member = None
            if access != PUBLIC:
                g.api_member = _bearer_member()
                if access == MANAGER and not g.api_member.is_manager:
                    raise Forbidden(N_("Only a community manager can do this."))
            if body is not None:
                empty = body_optional and not request.get_data(cache=True).strip()
                kwargs["data"] = parse(body(), {} if empty else _json_body())
            elif query is not None:
                kwargs["data"] = parse(query(), request.args.to_dict())
            elif request.method in WRITE_METHODS:
                _refuse_a_body()
            result = view(*args, **kwargs)
            if isinstance(result, tuple) or hasattr(result, "status_code"):
                return result
            return jsonify(result), status

        wrapper.access = access
        wrapper.openapi = {
            "summary": summary, "body": body, "body_optional": body_optional, "query": query,
            "response": response,
            "status": status, "tags": tags, "methods": methods,
        }
        bp.add_url_rule(rule, view_func=wrapper, methods=list(methods))
        return wrapper

    return decorator
