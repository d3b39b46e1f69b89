"""A fast acceptance check compiled from a marshmallow schema (the hot path of a sync page).

Loading a feed item and its content with marshmallow costs more than verifying its Ed25519
signature. :func:`fast_check` turns a schema *declaration* into plain Python checks of the
same rules: the same fields, ``required`` and ``allow_none``, unknown fields refused, the very
validator objects of the schema, the schema's own ``validates_schema`` hooks. It only ever
*accepts*: whatever it does not find certainly valid goes to marshmallow, which decides and
words the error. So the schema stays the one definition of what is valid; a schema that uses
anything this module does not know (another field class, a ``data_key``, a default, a
pre/post-load hook, a field validator method) is not compiled and always goes to marshmallow.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate
from marshmallow.utils import missing

from federation.canonical import MAX_SAFE_INTEGER
from schemas.federation import StrictBoolean, StrictInteger

logger = logging.getLogger(__name__)

Check = Callable[[Any], bool]
_VALIDATES_SCHEMA = "validates_schema"


class _NotCompilable(Exception):
    """The schema uses something the fast path does not replicate exactly."""


def _predicate(validator: Callable[[Any], Any]) -> Check:
    """``validator`` as a predicate. marshmallow's own Length, OneOf, Range and Regexp are
    replicated from their attributes (the same comparisons, without an exception to build);
    any other validator is called."""
    cls = type(validator)
    if cls is validate.Length:
        low, high, equal = validator.min, validator.max, validator.equal
        if equal is not None:
            return lambda value: len(value) == equal
        return lambda value: ((low is None or len(value) >= low)
                              and (high is None or len(value) <= high))
    if cls is validate.OneOf:
        choices = validator.choices
        try:
            choices = frozenset(choices)  # the same answer for the str/int/bool values here
        except TypeError:
            pass

        def one_of(value: Any) -> bool:
            try:
                return value in choices
            except TypeError:
                return False

        return one_of
    if cls is validate.Range:
        low, high = validator.min, validator.max
        low_in, high_in = validator.min_inclusive, validator.max_inclusive
        return lambda value: (
            (low is None or (value >= low if low_in else value > low))
            and (high is None or (value <= high if high_in else value < high)))
    if cls is validate.Regexp:
        match = validator.regex.match
        return lambda value: match(value) is not None

    def call(value: Any) -> bool:
        try:
            return validator(value) is not False  # marshmallow: returning False fails
        except ValidationError:
            return False

    return call


def _with_validators(kind: Check, validators: list[Callable[[Any], Any]]) -> Check:
    if not validators:
        return kind
    predicates = tuple(_predicate(validator) for validator in validators)
    if len(predicates) == 1:
        (only,) = predicates
        return lambda value: kind(value) and only(value)

    def check(value: Any) -> bool:
        if not kind(value):
            return False
        for predicate in predicates:
            if not predicate(value):
                return False
        return True

    return check


#: Fields whose values are one JSON scalar type (marshmallow also takes bytes for a string:
#: those go to it).
_SCALARS: dict[type, type] = {fields.String: str, StrictInteger: int, StrictBoolean: bool}


def _scalar(kind: type, validators: list[Callable[[Any], Any]]) -> Check:
    """A scalar field's type and validators. The usual field (at most one of marshmallow's
    Length, OneOf, Range or Regexp) is one expression, since the sync calls it for every field
    of every item; any other combination is the type check and then each predicate."""
    low, high = -MAX_SAFE_INTEGER, MAX_SAFE_INTEGER  # an integer's bounds

    def of_kind(value: Any) -> bool:
        return type(value) is kind and (kind is not int or low <= value <= high)

    if not validators:
        return of_kind
    if len(validators) > 1:
        return _with_validators(of_kind, validators)
    (validator,) = validators
    cls = type(validator)
    inclusive = cls is validate.Range and validator.min_inclusive and validator.max_inclusive
    if kind is int and inclusive:
        if validator.min is not None:
            low = max(low, validator.min)
        if validator.max is not None:
            high = min(high, validator.max)
        return lambda value: type(value) is int and low <= value <= high
    if kind is not int:
        if cls is validate.Length and validator.equal is None:
            shortest = validator.min or 0
            longest = sys.maxsize if validator.max is None else validator.max
            return lambda value: type(value) is kind and shortest <= len(value) <= longest
        if cls is validate.Regexp:
            match = validator.regex.match
            return lambda value: type(value) is kind and match(value) is not None
        if cls is validate.OneOf:
            one_of = _predicate(validator)
            return lambda value: type(value) is kind and one_of(value)
    return _with_validators(of_kind, validators)


def _field(field: fields.Field) -> tuple[Check, bool, bool]:
    """(check of a present value, required, allow_none) of one field."""
    if field.data_key is not None or field.load_default is not missing or field.dump_only:
        raise _NotCompilable(f"field option of {field!r}")
    cls = type(field)
    scalar = _SCALARS.get(cls)
    if scalar is not None:
        return _scalar(scalar, list(field.validators)), field.required, field.allow_none
    if cls is fields.Dict:
        kind = _mapping(field)
    elif cls is fields.List:
        inner, _required, inner_none = _field(field.inner)
        kind = _sequence(inner, inner_none)
    elif cls is fields.Nested:
        if field.many or field.only or field.exclude or field.unknown is not None:
            raise _NotCompilable("nested options")
        nested = field.schema
        kind = _compile(nested)
    else:
        raise _NotCompilable(f"field class {cls.__name__}")
    return _with_validators(kind, list(field.validators)), field.required, field.allow_none


def _mapping(field: fields.Dict) -> Check:
    key_check = value_check = None
    value_none = False
    if field.key_field is not None:
        key_check, _required, _none = _field(field.key_field)
    if field.value_field is not None:
        value_check, _required, value_none = _field(field.value_field)

    def check(value: Any) -> bool:
        if type(value) is not dict:
            return False
        if key_check is not None and not all(key_check(key) for key in value):
            return False
        if value_check is not None:
            for element in value.values():
                if element is None and value_none:
                    continue
                if not value_check(element):
                    return False
        return True

    return check


def _sequence(inner: Check, inner_none: bool) -> Check:
    def check(value: Any) -> bool:
        if type(value) is not list:  # marshmallow takes other collections: they go to it
            return False
        for element in value:
            if element is None and inner_none:
                continue
            if not inner(element):
                return False
        return True

    return check


def _compile(schema: Schema) -> Check:
    if schema.unknown != RAISE or schema.many:
        raise _NotCompilable("only strict, single-object schemas")
    hooks = []
    for kind, registered in schema._hooks.items():  # noqa: SLF001 - the declaration itself
        for attr_name, pass_collection, options in registered:
            if kind != _VALIDATES_SCHEMA or pass_collection or options.get("pass_original"):
                raise _NotCompilable(f"hook {kind} {attr_name}")
            hooks.append(getattr(schema, attr_name))
    checks = []
    for name, field in schema.load_fields.items():
        check, required, allow_none = _field(field)
        checks.append((name, check, required, allow_none))
    names = frozenset(schema.load_fields)
    # A required field that may not be null: its check alone decides (every check refuses
    # None), a missing one raises KeyError.
    plain = tuple((name, check) for name, check, required, allow_none in checks
                  if required and not allow_none)
    others = tuple(entry for entry in checks if not entry[2] or entry[3])

    def check_object(value: Any) -> bool:
        if type(value) is not dict or not names.issuperset(value):
            return False
        try:
            for name, check in plain:
                if not check(value[name]):
                    return False
        except KeyError:
            return False
        for name, check, required, allow_none in others:
            if name not in value:
                if required:
                    return False
                continue
            element = value[name]
            if element is None:
                if allow_none:
                    continue
                return False
            if not check(element):
                return False
        for hook in hooks:
            try:
                hook(dict(value), partial=None, many=False, unknown=RAISE)
            except ValidationError:
                return False
        return True

    return check_object


def fast_check(schema_cls: type[Schema]) -> Check | None:
    """The fast acceptance check of ``schema_cls`` (True: marshmallow would accept the value;
    False: ask marshmallow), or None when the schema cannot be compiled."""
    try:
        compiled = _compile(schema_cls())
    except _NotCompilable as exc:
        logger.debug("schema %s goes to marshmallow: %s", schema_cls.__name__, exc)
        return None

    def check(value: Any) -> bool:
        try:
            return compiled(value)
        except Exception:  # noqa: BLE001 - anything unexpected: marshmallow decides
            return False

    return check
