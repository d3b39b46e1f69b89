"""Forms of the networks pages, and the networks' JSON API bodies and answers (the roster's
wire schema is in ``federation.py``)."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from .common import OutputSchema


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


class DirectoryShareFormSchema(_Form):
    """What our directory shares with a network's spaces: as with any peer, or nothing."""

    share = fields.String(required=True, validate=validate.OneOf(("peers", "nothing")))


# --- the JSON API (node/api/rosters.py) ------------------------------------------------------


class NetworkJoinSchema(NetworkJoinFormSchema):
    """Ask to join a network: its address, and the coordinator to ask if not its founder."""


class JoinDecisionSchema(JoinDecisionFormSchema):
    """The coordinator's manager accepts or refuses a join request."""


class DirectoryShareSchema(DirectoryShareFormSchema):
    """What our directory shares with the spaces a network had us peer with."""


class RosterMemberOutSchema(OutputSchema):
    node_id = fields.String()
    name = fields.String()
    key_id = fields.String()
    joined_ts = fields.Integer()


class NetworkOutSchema(OutputSchema):
    id = fields.Integer()
    network_id = fields.String()
    name = fields.String()
    description = fields.String()
    charter = fields.String()
    version = fields.Integer()
    is_ours = fields.Boolean()
    on_roster = fields.Boolean()
    coordinators = fields.List(fields.String())
    members = fields.List(fields.Nested(RosterMemberOutSchema))
    directory_share = fields.String(metadata={"enum": ["peers", "nothing"]})


class NetworkSpaceOutSchema(OutputSchema):
    node_id = fields.String()
    name = fields.String()
    is_us = fields.Boolean()
    has_figures = fields.Boolean()


class NetworkTotalsOutSchema(OutputSchema):
    """Counts and sums only, from what the spaces publish (their signed ``peer.stats``)."""

    spaces = fields.Integer()
    members_sharing = fields.Integer()
    events_upcoming = fields.Integer()
    business_cents = fields.Integer()
    visits = fields.Integer()
    spaces_without_figures = fields.Integer()


class NetworkWeekOutSchema(OutputSchema):
    id = fields.Integer()
    object_id = fields.String()
    title = fields.String()
    organiser = fields.String()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()


class NetworkDetailOutSchema(NetworkOutSchema):
    spaces = fields.List(fields.Nested(NetworkSpaceOutSchema))
    totals = fields.Nested(NetworkTotalsOutSchema)
    weeks = fields.List(fields.Nested(NetworkWeekOutSchema))


class ApplicationOutSchema(OutputSchema):
    network_id = fields.String()
    coordinator = fields.String()
    status = fields.String(metadata={"enum": ["sent", "failed", "member"]})
    last_error = fields.String(allow_none=True)


class JoinRequestOutSchema(OutputSchema):
    id = fields.Integer()
    network_id = fields.String()
    node_id = fields.String()
    status = fields.String(metadata={"enum": ["pending", "accepted", "refused"]})
