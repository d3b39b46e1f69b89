"""``schemas.common.OutputSchema`` dumps what marshmallow dumps: every output schema of the
node, on objects and on dicts, with values, ``None`` and absent attributes; and the cases its
plan treats apart (dotted attributes, ``data_key``, ``dump_default``, computed fields, a field
that reads its own way, dump hooks)."""

from __future__ import annotations

import importlib
import pkgutil
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from marshmallow import Schema, fields, post_dump

import schemas
from schemas.common import OutputSchema, _dump_plan


def _output_schemas() -> list[type[OutputSchema]]:
    for module in pkgutil.iter_modules(schemas.__path__):
        importlib.import_module(f"schemas.{module.name}")
    found, todo = [], [OutputSchema]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.append(sub)
            todo.append(sub)
    return sorted(set(found), key=lambda cls: f"{cls.__module__}.{cls.__name__}")


def _sample(field: fields.Field, depth: int, variant: int):
    """A value of the field's kind; ``variant`` 1 gives None for every field, 3 a value of
    another type."""
    if variant == 1:
        return None
    if isinstance(field, fields.Nested):
        schema = field.schema
        one = _object(schema, depth + 1, variant) if depth < 3 else None
        return [one, one] if (field.many or schema.many) and one is not None else one
    if isinstance(field, fields.List):
        inner = _sample(field.inner, depth, variant)
        return [inner, inner]
    if variant == 3:  # another type than the field's: converted, or refused alike
        return {fields.String: 7, fields.Integer: True, fields.Boolean: 1, fields.Float: 3,
                fields.DateTime: date(2031, 3, 4)}.get(type(field), "texte")
    if isinstance(field, fields.DateTime):
        return datetime(2031, 3, 4, 9, 30, tzinfo=UTC)
    if isinstance(field, fields.Date):
        return date(2031, 3, 4)
    if isinstance(field, fields.Boolean):
        return True
    if isinstance(field, fields.Integer):
        return 7
    if isinstance(field, fields.Float):
        return 2.5
    if isinstance(field, fields.Decimal):
        return Decimal("12.50")
    if isinstance(field, fields.Dict):
        return {"fr": "texte", "en": "text"}
    return "texte é"


def _object(schema: Schema, depth: int = 0, variant: int = 0):
    """An object with an attribute per field (``variant`` 2: every other one left out)."""
    values = {}
    for index, (name, field) in enumerate(schema.dump_fields.items()):
        if variant == 2 and index % 2:
            continue
        attribute = field.attribute or name
        values[attribute.split(".")[0]] = _sample(field, depth, variant)
    return SimpleNamespace(**values)


def _both(schema: Schema, obj, many: bool = False):
    """(marshmallow's dump, OutputSchema's dump), an exception standing for its type."""
    out = []
    for dump in (Schema.dump, OutputSchema.dump):
        try:
            out.append(dump(schema, obj, many=many))
        except Exception as exc:  # noqa: BLE001 - both must fail alike
            out.append(type(exc))
    return out


@pytest.mark.parametrize("schema_class", _output_schemas(), ids=lambda cls: cls.__name__)
def test_every_output_schema_dumps_what_marshmallow_dumps(schema_class):
    schema = schema_class()
    for variant in (0, 1, 2, 3):
        obj = _object(schema, variant=variant)
        expected, fast = _both(schema, obj)
        assert fast == expected, variant
        assert _both(schema, vars(obj))[1] == _both(schema, vars(obj))[0]  # a dict
        expected, fast = _both(schema, [obj, obj], many=True)
        assert fast == expected


def test_the_node_has_output_schemas_to_compare_and_they_take_the_plan():
    planned = [cls for cls in _output_schemas() if _dump_plan(cls()) is not False]
    assert len(planned) >= 60


def _person_schema(base: type[Schema]) -> type[Schema]:
    """One schema of every special case, on ``base``: OutputSchema, or marshmallow's own."""

    class Person(base):
        name = fields.String()
        city = fields.String(attribute="place.city")
        lang = fields.String(data_key="language", dump_default="fr")
        score = fields.Integer(dump_default=lambda: 3)
        upper = fields.Function(lambda person: (person.name or "").upper() if hasattr(person, "name") else None)
        shout = fields.Method("_shout")
        friends = fields.List(fields.Nested(lambda: Person(only=("name",))))
        private_note = fields.String(load_only=True)

        def _shout(self, person):
            return "!" if hasattr(person, "name") else None

    return Person


_Person, _Plain = _person_schema(OutputSchema), _person_schema(Schema)


def test_the_plans_special_cases_match_marshmallow():
    friend = SimpleNamespace(name="Zoé", private_note="x")
    people = [
        SimpleNamespace(name="Léa", place=SimpleNamespace(city="Marseille"), lang="en", score=9,
                        friends=[friend], private_note="x"),
        SimpleNamespace(name="Léa"),  # absent attributes: defaults, or left out
        {"name": "Léa", "place": {"city": "Lyon"}, "friends": []},  # dicts, a dotted path in them
        SimpleNamespace(name=None, place=None, lang=None, score=None, friends=None),
    ]
    for person in people:
        assert _Person().dump(person) == _Plain().dump(person)
    assert _Person(many=True).dump(people) == _Plain(many=True).dump(people)
    assert _Person(only=("name", "lang")).dump(people[0]) == {"name": "Léa", "language": "en"}
    assert _Person().dump(people[1]) == {"name": "Léa", "language": "fr", "score": 3, "upper": "LÉA",
                                         "shout": "!"}


def test_a_schema_with_dump_hooks_is_dumped_by_marshmallow():
    class Hooked(OutputSchema):
        name = fields.String()

        @post_dump
        def _mark(self, data, **_kwargs):
            return {**data, "hooked": True}

    assert Hooked().dump(SimpleNamespace(name="Léa")) == {"name": "Léa", "hooked": True}
    assert Hooked(many=True).dump([SimpleNamespace(name="Léa")]) == [{"name": "Léa", "hooked": True}]
