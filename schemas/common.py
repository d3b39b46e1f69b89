"""Building blocks shared by the API and form schemas."""

from __future__ import annotations

import unicodedata

from marshmallow import RAISE, Schema, ValidationError, fields, missing, validate, validates_schema

__all__ = ["Email", "ErrorSchema", "InputSchema", "NoBodySchema", "OutputSchema", "Password",
           "ValidationError"]


class OutputSchema(Schema):
    """What the node answers. Dumps what :class:`marshmallow.Schema` dumps, through a plan
    made once per schema instance: each field's key, how its value is read, and the field's own
    conversion. marshmallow reads a value through five calls (``serialize``, ``get_value``,
    ``get_attribute``, ``utils.get_value``, ``_get_value_for_key``); the plan does it in one,
    with the same rules (an item, else an attribute; dotted paths; ``dump_default``). A field
    whose class changes how it serializes or reads, and a schema with dump hooks or its own
    ``get_attribute``, are dumped by marshmallow itself. ``tests/unit/test_output_schema.py``
    compares both on every output schema."""

    def dump(self, obj, *, many: bool | None = None):
        steps = self.__dict__.get("_dump_plan")
        if steps is None:
            steps = self._dump_plan = _dump_plan(self)
        if steps is False:
            return super().dump(obj, many=many)
        if (self.many if many is None else many) and obj is not None:
            return [self._dump_one(item, steps) for item in obj]
        return self._dump_one(obj, steps)

    def _dump_one(self, obj, steps) -> dict:
        out = {}
        for key, name, field, read, same, formatter in steps:
            if read is None:  # marshmallow's own way
                value = field.serialize(name, obj, accessor=self.get_attribute)
            elif read is _NO_VALUE:  # a field computed from the object (Function, Method)
                value = field._serialize(None, name, obj)
            else:
                value = read(obj)
                if value is missing:
                    default = field.dump_default
                    value = default() if callable(default) else default
                    if value is missing:
                        continue
                if same is not None and (value is None or type(value) is same):
                    pass  # what the field would give back: the value itself
                elif formatter is not None:
                    value = None if value is None else formatter(value)
                else:
                    value = field._serialize(value, name, obj)
            if value is not missing:
                out[key] = value
        return out


_NO_VALUE = object()


def _dump_plan(schema: Schema):
    """``[(key, name, field, read, same, formatter)]`` for :meth:`OutputSchema.dump`, or False when the schema
    must be dumped by marshmallow (dump hooks, its own ``get_attribute``)."""
    hooks = schema._hooks
    if hooks.get("pre_dump") or hooks.get("post_dump") or \
            type(schema).get_attribute is not Schema.get_attribute:
        return False
    steps = []
    for name, field in schema.dump_fields.items():
        key = field.data_key if field.data_key is not None else name
        if type(field).serialize is not fields.Field.serialize or \
                type(field).get_value is not fields.Field.get_value:
            steps.append((key, name, field, None, None, None))
        elif not field._CHECK_ATTRIBUTE:
            steps.append((key, name, field, _NO_VALUE, None, None))
        else:
            read = _reader(field.attribute if field.attribute is not None else name)
            steps.append((key, name, field, read, *_conversion(field)))
    return steps


def _conversion(field: fields.Field) -> tuple[type | None, object]:
    """``(same, formatter)``: for marshmallow's own String, Integer, Float and Boolean, the
    type whose values (and None) the field gives back unchanged; for its DateTime and Date,
    the function their format names. ``(None, None)``: the field's ``_serialize`` converts."""
    kind = type(field)
    if kind is fields.String:
        return str, None
    if kind in (fields.Integer, fields.Float) and not field.as_string:
        return (int if kind is fields.Integer else float), None
    if kind is fields.Boolean:
        return bool, None
    if kind in (fields.DateTime, fields.Date):
        formatter = field.SERIALIZATION_FUNCS.get(field.format or field.DEFAULT_FORMAT)
        if formatter is not None:
            return None, formatter
    return None, None


def _reader(path: str):
    """How ``marshmallow.utils.get_value`` reads ``path``: per dotted part, ``obj[part]`` when
    the object has items, else (or when that fails) the attribute; ``missing`` when absent."""
    parts = path.split(".")

    def one(obj, key):
        if not hasattr(obj, "__getitem__"):
            return getattr(obj, key, missing)
        try:
            return obj[key]
        except (KeyError, IndexError, TypeError, AttributeError):
            return getattr(obj, key, missing)

    if len(parts) == 1:
        return lambda obj: one(obj, path)

    def read(obj):
        for part in parts:
            obj = one(obj, part)
        return obj

    return read


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


class ErrorBodySchema(OutputSchema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    fields = fields.Dict(keys=fields.String(), values=fields.Raw())


class ErrorSchema(OutputSchema):
    error = fields.Nested(ErrorBodySchema, required=True)


class PageSchema(OutputSchema):
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
