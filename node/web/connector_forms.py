"""Connector forms: integer fields (ids, quantities, goals) come as text from the browser."""

from __future__ import annotations

from flask import request
from marshmallow import Schema

from .forms import parse, simple_form

INT_FIELDS = ("member_id", "referee_id", "need_id", "quantity", "goal_members", "goal_regulars",
              "regular_checkins")


def parse_form(schema: Schema, checkboxes: tuple[str, ...] = (), *, query: bool = False) -> dict:
    """The submitted form (or with ``query``, the query string) validated by ``schema``; digits
    become integers, blanks ``None`` (anything else is left for the schema to refuse)."""
    data = simple_form(request.args if query else request.form, checkboxes=checkboxes)
    for name in INT_FIELDS:
        if name in data:
            value = data[name].strip()
            data[name] = None if value == "" else (int(value) if value.isdigit() else value)
    return parse(schema, data)
