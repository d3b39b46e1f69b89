"""Forms of the manager's peers page (the federation wire schemas are in ``federation.py``)."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from .common import OutputSchema

PEER_ACTIONS = ("approve", "refuse", "suspend", "remove")


class PeerRequestFormSchema(Schema):
    class Meta:
        unknown = RAISE

    url = fields.String(required=True, validate=validate.Length(min=8, max=255))
    message = fields.String(load_default="", validate=validate.Length(max=1000))


class PeerDecisionFormSchema(Schema):
    class Meta:
        unknown = RAISE

    action = fields.String(required=True, validate=validate.OneOf(PEER_ACTIONS))


class OutboxMessageOutSchema(OutputSchema):
    """A message of the outgoing queue, as the manager sees it (no content: it may name a
    member)."""

    id = fields.Integer()
    destination = fields.String()
    message_type = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    deliver_until_ms = fields.Integer(allow_none=True)


class OutboxQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    status = fields.String(load_default="dead", validate=validate.OneOf(("pending", "dead")))


class ResendFormSchema(Schema):
    """The peers page's "send again" button: no field besides the CSRF token."""

    class Meta:
        unknown = RAISE
