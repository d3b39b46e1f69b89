"""Regional events ("Coworking Week"): forms and JSON bodies, and what the API shows.

Datetimes without an offset are wall-clock times in the event's ``timezone``."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from .common import InputSchema, NonBlank, OutputSchema, TrimmedString
from .events import EVENT_TYPES, Capacity, TimeZoneName, Title, _end_after_start

KINDS = ("workshop", "talk", "meetup", "training", "social", "other")
VISIBILITIES = ("network", "public")
DECISIONS = ("accepted", "declined")


def _dates(data: dict) -> None:
    _end_after_start(data, "starts_at", "ends_at")


class RegionalUpdateSchema(InputSchema):
    """A change of the organiser's regional event."""

    title = TrimmedString(validate=[validate.Length(min=1, max=200), NonBlank()])
    description = TrimmedString(validate=validate.Length(max=5000))
    region = TrimmedString(validate=validate.Length(max=200))
    kind = fields.String(validate=validate.OneOf(KINDS))
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    timezone = fields.String(validate=TimeZoneName())
    visibility = fields.String(validate=validate.OneOf(VISIBILITIES))

    @validates_schema
    def _times(self, data, **kwargs):
        _dates(data)


class RegionalCreateSchema(RegionalUpdateSchema):
    title = TrimmedString(required=True, validate=[validate.Length(min=1, max=200), NonBlank()])
    description = TrimmedString(load_default="", validate=validate.Length(max=5000))
    region = TrimmedString(load_default="", validate=validate.Length(max=200))
    kind = fields.String(load_default="meetup", validate=validate.OneOf(KINDS))
    starts_at = fields.DateTime(required=True)
    ends_at = fields.DateTime(required=True)
    timezone = fields.String(load_default="Europe/Paris", validate=TimeZoneName())
    visibility = fields.String(load_default="network", validate=validate.OneOf(VISIBILITIES))
    #: A network this node is on (its id in ``/networks``): every other space of its roster
    #: that is our peer is invited to co-organise at once.
    network = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1))


class InviteSchema(InputSchema):
    """The approved peers to invite (``node_ids``), every space of a network this node is on
    (``network``, its id in ``/networks``), or both."""

    node_ids = fields.List(fields.String(validate=validate.Length(min=1, max=255)),
                           load_default=list, validate=validate.Length(max=50))
    network = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1))

    @validates_schema
    def _someone(self, data, **kwargs):
        if not data.get("node_ids") and not data.get("network"):
            raise ValidationError("Choose the spaces to invite, or a network.", field_name="node_ids")


class InvitationAnswerSchema(InputSchema):
    decision = fields.String(required=True, validate=validate.OneOf(DECISIONS))


class SessionCreateSchema(InputSchema):
    """A session at our venue: an event of this space linked to the regional event."""

    title = Title(required=True)
    description = TrimmedString(load_default="", validate=validate.Length(max=5000))
    type = fields.String(required=True, validate=validate.OneOf(EVENT_TYPES))
    start_at = fields.DateTime(required=True)
    end_at = fields.DateTime(required=True)
    timezone = fields.String(validate=TimeZoneName())
    venue_id = fields.Integer(allow_none=True)
    address = TrimmedString(validate=validate.Length(max=255))
    capacity = Capacity()

    @validates_schema
    def _times(self, data, **kwargs):
        _end_after_start(data)


class SessionUpdateSchema(InputSchema):
    """Time, room or capacity of our session."""

    title = Title()
    description = TrimmedString(validate=validate.Length(max=5000))
    start_at = fields.DateTime()
    end_at = fields.DateTime()
    venue_id = fields.Integer(allow_none=True)
    address = TrimmedString(validate=validate.Length(max=255))
    capacity = Capacity()

    @validates_schema
    def _times(self, data, **kwargs):
        _end_after_start(data)


class RemoteRegistrationSchema(InputSchema):
    """What the member agrees to share with the host: the name always, the email if ticked;
    and which page to come back to (the program, or the session's own page)."""

    share_email = fields.Boolean(load_default=False)
    back = fields.String(load_default="program", validate=validate.OneOf(("program", "session")))


class ProgramQuerySchema(InputSchema):
    day = fields.Date(load_default=None, allow_none=True)
    space = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=255))
    kind = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(KINDS))
    #: A type of the events area: the program's filter speaks the agenda's words.
    type = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(EVENT_TYPES))


# --- output -----------------------------------------------------------------------------------

class ParticipantOutSchema(OutputSchema):
    node_id = fields.String()
    name = fields.String()
    status = fields.String()


class RegionalOutSchema(OutputSchema):
    id = fields.Integer()
    object_id = fields.String()
    organiser = fields.String()
    organiser_name = fields.String()
    is_local = fields.Boolean()
    title = fields.String()
    description = fields.String()
    region = fields.String()
    kind = fields.String()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    timezone = fields.String()
    visibility = fields.String()
    status = fields.String()
    participants = fields.List(fields.Nested(ParticipantOutSchema))


class SessionOutSchema(OutputSchema):
    id = fields.Integer()
    object_id = fields.String()
    regional_event_id = fields.String(attribute="regional_event_object_id")
    host = fields.String()
    host_name = fields.String()
    is_local = fields.Boolean()
    event_id = fields.Integer(allow_none=True)
    title = fields.String()
    kind = fields.String()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    timezone = fields.String()
    venue_name = fields.String()
    venue_city = fields.String()
    capacity = fields.Integer(allow_none=True)
    seats_left = fields.Integer(allow_none=True)
    status = fields.String()


class ProgramOutSchema(OutputSchema):
    regional = fields.Nested(RegionalOutSchema)
    sessions = fields.List(fields.Nested(SessionOutSchema))


class RemoteRegistrationOutSchema(OutputSchema):
    id = fields.Integer()
    session_id = fields.String(attribute="session_object_id")
    host = fields.String()
    status = fields.String()
    action = fields.String()
    position = fields.Integer(allow_none=True)
    share_email = fields.Boolean()


class MyRegistrationOutSchema(OutputSchema):
    """A registration of mine to a regional session, hosted here or elsewhere."""

    session_id = fields.String()
    title = fields.String()
    host = fields.String()
    starts_at = fields.DateTime()
    status = fields.String()
    position = fields.Integer(allow_none=True)
    is_remote = fields.Boolean()
    timezone = fields.String(metadata={"description": "The session's time zone (IANA name)."})
    room = fields.String(metadata={"description": "The room of the session (empty when not told)."})
    place = fields.String(metadata={"description": "Room and town, as the portal shows them."})


class ReportLineSchema(OutputSchema):
    node_id = fields.String()
    name = fields.String()
    sessions = fields.Integer()
    registrations = fields.Integer()
    remote_registrations = fields.Integer()
    attendance = fields.Integer()
    introductions = fields.Integer()
    reported = fields.Boolean()


class CountsOutSchema(OutputSchema):
    sessions = fields.Integer()
    registrations = fields.Integer()
    remote_registrations = fields.Integer()
    attendance = fields.Integer()
    introductions = fields.Integer()
