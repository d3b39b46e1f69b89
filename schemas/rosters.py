"""Forms of the networks pages (the roster's wire schema is in ``federation.py``)."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate


class _Form(Schema):
    class Meta:
        unknown = RAISE


class NetworkCreateFormSchema(_Form):
    slug = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,62}$"))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default="", validate=validate.Length(max=2000))
    charter = fields.String(load_default="", validate=validate.Length(max=5000))


class NetworkJoinFormSchema(_Form):
    network = fields.String(required=True, validate=validate.Length(min=10, max=500))
    coordinator = fields.String(load_default=None, allow_none=True,
                                validate=validate.Length(min=8, max=255))


class JoinDecisionFormSchema(_Form):
    action = fields.String(required=True, validate=validate.OneOf(("accept", "refuse")))


class RosterMemberFormSchema(_Form):
    node_id = fields.String(required=True, validate=validate.Length(min=8, max=255))
    action = fields.String(required=True, validate=validate.OneOf(("remove", "coordinator")))
