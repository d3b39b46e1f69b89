"""Forms of the manager's peers page (the federation wire schemas are in ``federation.py``)."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

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
