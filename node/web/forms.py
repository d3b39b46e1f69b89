"""Turn submitted forms into plain dicts that the shared marshmallow schemas validate."""

from __future__ import annotations

from marshmallow import Schema
from marshmallow import ValidationError as SchemaError
from werkzeug.datastructures import MultiDict

from ..errors import N_, ValidationError

CHECKBOX_TRUE = {"on", "1", "true", "yes"}
SKIP = {"csrf_token"}


def parse(schema: Schema, data: dict) -> dict:
    """Validate ``data`` with ``schema``; a rejected input raises the domain ValidationError."""
    try:
        return schema.load(data)
    except SchemaError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        raise ValidationError(_summary(messages), fields=messages) from None


def _summary(messages: dict) -> str:
    unknown = [name for name, errs in messages.items() if errs == ["Unknown field."]]
    if unknown:
        return N_("Unknown fields are not accepted.")
    if set(messages) == {"_schema"}:
        return N_("The input is not valid.")
    return N_("Please check the highlighted fields.")


def simple_form(form: MultiDict, *, checkboxes: tuple[str, ...] = ()) -> dict:
    """Single-valued fields as given; unchecked boxes become ``False``."""
    data = {k: v for k, v in form.items() if k not in SKIP and k not in checkboxes}
    for name in checkboxes:
        data[name] = form.get(name, "").lower() in CHECKBOX_TRUE
    return data


def profile_form(form: MultiDict) -> dict:
    """The profile form: skills come as parallel ``skill_label``/``skill_level`` rows."""
    data = simple_form(
        form, checkboxes=("open_to_help", "open_to_paid", "open_to_barter")
    )
    for name in ("skill_label", "skill_level", "languages", "remove_photo"):
        data.pop(name, None)
    labels, levels = form.getlist("skill_label"), form.getlist("skill_level")
    data["skills"] = [
        {"label": label, "level": level or "confirme"}
        for label, level in zip(labels, levels + [""] * (len(labels) - len(levels)), strict=False)
        if label.strip()
    ]
    data["languages"] = form.getlist("languages")
    if data.get("trade_id") == "":
        data["trade_id"] = None
    if data.get("locale") == "":
        data["locale"] = None
    return data
