"""The OpenAPI 3 document, built from the routes' declared schemas (one source of truth)."""

from __future__ import annotations

import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, current_app, jsonify
from marshmallow import Schema

from schemas.common import ErrorSchema, NoBodySchema

from ..http.security import PUBLIC, public
from .base import API_PREFIX, WRITE_METHODS

bp = Blueprint("api_docs", __name__, url_prefix=API_PREFIX)

_CONVERTER = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")
ERROR_STATUSES = {400: "Malformed request", 401: "Missing or invalid token", 403: "Forbidden",
                  404: "Not found", 409: "Conflict", 422: "Validation error", 429: "Too many requests"}


def _register(spec: APISpec, schema_cls) -> dict:
    name = schema_cls.__name__.removesuffix("Schema")
    if name not in spec.components.schemas:
        spec.components.schema(name, schema=schema_cls)
    return {"$ref": f"#/components/schemas/{name}"}


def _ref(spec: APISpec, schema) -> dict:
    if isinstance(schema, Schema):
        item = _register(spec, type(schema))
        return {"type": "array", "items": item} if schema.many else item
    return _register(spec, schema)


def build_spec(app) -> dict:
    spec = APISpec(
        title="Coworknet node API", version="1.0.0", openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "The JSON API of one Coworknet node. Authenticate with a personal "
                             "access token: `Authorization: Bearer cwn_...`. Errors are "
                             "`{\"error\": {\"code\", \"message\", \"fields\"}}`: `code` is the stable "
                             "identifier; `message` and the messages under `fields` are in the language "
                             "the `Accept-Language` header asks for (`fr` or `en`; French without it). "
                             "A field's entry is a message, or for some checks a stable code "
                             "(`taken`, `inactive`, ...)."},
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    error_ref = _ref(spec, ErrorSchema)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions[rule.endpoint]
        meta = getattr(view, "openapi", None)
        if not rule.rule.startswith(API_PREFIX) or meta is None:
            continue
        path = _CONVERTER.sub(lambda m: "{" + m["name"] + "}", rule.rule)
        parameters = [
            {"in": "path", "name": m["name"], "required": True,
             "schema": {"type": "integer" if m["conv"] == "int" else "string"}}
            for m in _CONVERTER.finditer(rule.rule)
        ]
        operations = {}
        for method in meta["methods"]:
            operation: dict = {
                "summary": meta["summary"], "tags": list(meta["tags"]),
                "operationId": f"{rule.endpoint}.{method.lower()}",
                "parameters": list(parameters),
                "responses": {},
            }
            if meta["query"] is not None:
                operation["parameters"].append({"in": "query", "schema": meta["query"]})
            takes_no_body = meta["body"] is None and method in WRITE_METHODS
            if meta["body"] is not None:
                operation["requestBody"] = {"required": not meta.get("body_optional"), "content": {
                    "application/json": {"schema": _ref(spec, meta["body"])}}}
            elif takes_no_body:
                operation["requestBody"] = {
                    "required": False, "description": "None: anything but an empty object is refused.",
                    "content": {"application/json": {"schema": _ref(spec, NoBodySchema)}}}
            ok = {"description": "Success"}
            if meta["response"] is not None:
                ok["content"] = {"application/json": {"schema": _ref(spec, meta["response"])}}
            operation["responses"][str(meta["status"])] = ok
            validated = meta["body"] or meta["query"] or parameters or takes_no_body
            statuses = [400, 404, 422] if validated else []
            if view.access != PUBLIC:
                operation["security"] = [{"bearer": []}]
                statuses += [401, 403]
            if meta["body"]:
                statuses += [409]
            for code in sorted(set(statuses)):
                operation["responses"][str(code)] = {
                    "description": ERROR_STATUSES[code],
                    "content": {"application/json": {"schema": error_ref}},
                }
            operations[method.lower()] = operation
        spec.path(path=path, operations=operations)
    return spec.to_dict()


@bp.route("/openapi.json")
@public
def openapi_json():
    if "coworknet.openapi" not in current_app.extensions:
        current_app.extensions["coworknet.openapi"] = build_spec(current_app)
    return jsonify(current_app.extensions["coworknet.openapi"])
