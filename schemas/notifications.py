"""Notifications: the list, marking read, and per-kind preferences (portal forms and API)."""

from __future__ import annotations

from marshmallow import fields, validate

from .common import InputSchema, OutputSchema

CHANNELS = ("mail", "portal", "digest")


class NotificationQuerySchema(InputSchema):
    unread = fields.Boolean(load_default=False)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class NotificationOutSchema(OutputSchema):
    id = fields.Integer()
    kind = fields.String()
    text = fields.String(metadata={"description": "What happened, in the reader's language"})
    action = fields.String(metadata={"description": "What to do, as a link label"})
    url = fields.String(metadata={"description": "Absolute URL of the page where to act"})
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)


class NotificationPageSchema(OutputSchema):
    items = fields.List(fields.Nested(NotificationOutSchema))
    unread = fields.Integer()


class MarkReadSchema(InputSchema):
    """Empty: mark every notification read. ``id``: only that one."""

    id = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1))


class PreferenceSchema(InputSchema):
    kind = fields.String(required=True, validate=validate.Length(min=1, max=64))
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))


class ChoiceOutSchema(OutputSchema):
    kind = fields.String()
    channel = fields.String()
    is_default = fields.Boolean()
