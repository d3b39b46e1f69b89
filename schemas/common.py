"""Building blocks shared by the API and form schemas."""

from __future__ import annotations

import unicodedata

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

__all__ = ["Email", "ErrorSchema", "InputSchema", "NoBodySchema", "Password", "ValidationError"]


class InputSchema(Schema):
    """Every input schema rejects unknown fields and strips surrounding blanks."""

    class Meta:
        unknown = RAISE


class NoBodySchema(InputSchema):
    """What a write operation that takes no body accepts: nothing, or an empty JSON object."""


class TrimmedString(fields.String):
    """Text as people type it: surrounding blanks removed, Unicode in NFC form (a decomposed
    "é" from some keyboards becomes the composed one, so search and signing see one spelling)."""

    def _deserialize(self, value, attr, data, **kwargs):
        result = super()._deserialize(value, attr, data, **kwargs)
        return unicodedata.normalize("NFC", result.strip())


class Email(fields.Email):
    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = value.strip()
        return super()._deserialize(value, attr, data, **kwargs).lower()


def Password(**kwargs) -> fields.String:  # noqa: N802 - reads like a field class
    return fields.String(validate=validate.Length(min=10, max=256), load_only=True, **kwargs)


class ErrorBodySchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    fields = fields.Dict(keys=fields.String(), values=fields.Raw())


class ErrorSchema(Schema):
    error = fields.Nested(ErrorBodySchema, required=True)


class PageSchema(Schema):
    total = fields.Integer(required=True)
    limit = fields.Integer(required=True)
    offset = fields.Integer(required=True)


class NonBlank(validate.Validator):
    error = "Must not be blank."

    def __call__(self, value):
        if not str(value).strip():
            raise ValidationError(self.error)
        return value


def require_one_of(*names):
    """Schema-level check that at least one of ``names`` is present."""

    @validates_schema
    def _check(self, data, **kwargs):
        if not any(name in data for name in names):
            raise ValidationError(f"Give at least one of: {', '.join(names)}.")

    return _check
