"""Events: what may come in (forms and JSON alike) and what members and managers see.

Datetimes without an offset are wall-clock times in the event's ``timezone``."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import ValidationError, fields, validate, validates_schema

from .common import Email, InputSchema, NonBlank, OutputSchema, TrimmedString

EVENT_TYPES = (
    "aperitif", "atelier", "formation", "debat", "degustation", "cinq_a_sept", "soiree_jeux",
    "conference", "journee_coworking", "autre",
)
AUDIENCES = ("space", "network", "public")
EDITABLE_STATUSES = ("draft", "published")
VENUE_KINDS = ("room", "external")
DECISIONS = ("approve", "request_changes", "decline")
ATTENDANCE = ("present", "no_show")
PERIODS = ("morning", "afternoon", "day")


class TimeZoneName(validate.Validator):
    error = "Unknown time zone."

    def __call__(self, value):
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError(self.error) from None
        return value


def _end_after_start(data: dict, start: str = "start_at", end: str = "end_at") -> None:
    first, last = data.get(start), data.get(end)
    if first is None or last is None or (first.tzinfo is None) != (last.tzinfo is None):
        return  # the service checks mixed or partial values against the stored ones
    if last <= first:
        raise ValidationError("The end must be after the start.", field_name=end)


def Title(**kwargs) -> fields.String:  # noqa: N802 - reads like a field class
    return TrimmedString(validate=[validate.Length(min=1, max=160), NonBlank()], **kwargs)


def Capacity(**kwargs) -> fields.Integer:  # noqa: N802 - reads like a field class
    """Seats: at least one; ``None`` means unlimited."""
    return fields.Integer(allow_none=True, validate=validate.Range(min=1, max=100000), **kwargs)


class EventUpdateSchema(InputSchema):
    """A partial change of an event (manager)."""

    title = Title()
    description = TrimmedString(validate=validate.Length(max=20000))
    type = fields.String(validate=validate.OneOf(EVENT_TYPES))
    status = fields.String(validate=validate.OneOf(EDITABLE_STATUSES))
    audience = fields.String(validate=validate.OneOf(AUDIENCES))
    start_at = fields.DateTime()
    end_at = fields.DateTime()
    timezone = fields.String(validate=TimeZoneName())
    venue_id = fields.Integer(allow_none=True)
    address = TrimmedString(validate=validate.Length(max=255))
    capacity = Capacity()
    registration_opens_at = fields.DateTime(allow_none=True)
    registration_closes_at = fields.DateTime(allow_none=True)
    price_info = TrimmedString(validate=validate.Length(max=255))
    rrule = fields.String(allow_none=True, validate=validate.Length(max=255))
    rotation_venue_ids = fields.List(fields.Integer(), validate=validate.Length(max=52))
    host_ids = fields.List(fields.Integer(), validate=validate.Length(max=20))

    @validates_schema
    def _times(self, data, **kwargs):
        _end_after_start(data)


class EventCreateSchema(EventUpdateSchema):
    title = Title(required=True)
    type = fields.String(required=True, validate=validate.OneOf(EVENT_TYPES))
    start_at = fields.DateTime(required=True)
    end_at = fields.DateTime(required=True)


REPEATS = ("none", "weekly", "monthly", "custom")
REPEAT_ENDS = ("never", "until", "count")


class RecurrenceFormSchema(InputSchema):
    """The recurrence part of the event form: weekly on some days every N weeks, or monthly on
    the Nth weekday; until a date, for a number of dates, or open-ended. ``custom``: the RRULE
    field as typed (API clients send ``rrule`` itself)."""

    repeat = fields.String(load_default="none", validate=validate.OneOf(REPEATS))
    repeat_interval = fields.Integer(load_default=1, allow_none=True, validate=validate.Range(min=1, max=52))
    repeat_days = fields.List(fields.Integer(validate=validate.Range(min=0, max=6)), load_default=list)
    repeat_nth = fields.Integer(load_default=None, allow_none=True, validate=validate.OneOf((1, 2, 3, 4, -1)))
    repeat_weekday = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0, max=6))
    repeat_end = fields.String(load_default="never", validate=validate.OneOf(REPEAT_ENDS))
    repeat_until = fields.Date(load_default=None, allow_none=True)
    repeat_count = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=200))

    @validates_schema
    def _complete(self, data, **kwargs):
        if data["repeat"] == "weekly" and not data["repeat_days"]:
            raise ValidationError("Choose at least one day.", field_name="repeat_days")
        if data["repeat"] == "monthly" and data["repeat_nth"] is None:
            raise ValidationError("Choose which week of the month.", field_name="repeat_nth")
        if data["repeat"] == "monthly" and data["repeat_weekday"] is None:
            raise ValidationError("Choose a day.", field_name="repeat_weekday")
        if data["repeat"] in ("weekly", "monthly"):
            if data["repeat_end"] == "until" and data["repeat_until"] is None:
                raise ValidationError("Choose the last date.", field_name="repeat_until")
            if data["repeat_end"] == "count" and data["repeat_count"] is None:
                raise ValidationError("Say how many dates.", field_name="repeat_count")


class OccurrenceUpdateSchema(InputSchema):
    """A change to one date of a series: time, venue, capacity, or its cancellation."""

    start_at = fields.DateTime()
    end_at = fields.DateTime()
    venue_id = fields.Integer(allow_none=True)
    capacity = Capacity()
    is_cancelled = fields.Boolean()

    @validates_schema
    def _times(self, data, **kwargs):
        _end_after_start(data)


class ProposalSchema(InputSchema):
    """A member's workshop proposal (also used to revise it)."""

    title = Title(required=True)
    description = TrimmedString(load_default="", validate=validate.Length(max=20000))
    type = fields.String(load_default="atelier", validate=validate.OneOf(EVENT_TYPES))
    start_at = fields.DateTime(required=True)
    end_at = fields.DateTime(required=True)
    timezone = fields.String(load_default="Europe/Paris", validate=TimeZoneName())
    capacity = Capacity(load_default=None)
    message = TrimmedString(load_default="", validate=validate.Length(max=4000))

    @validates_schema
    def _times(self, data, **kwargs):
        _end_after_start(data)


class ProposalDecisionSchema(InputSchema):
    decision = fields.String(required=True, validate=validate.OneOf(DECISIONS))
    comment = TrimmedString(load_default="", validate=validate.Length(max=4000))
    audience = fields.String(load_default="space", validate=validate.OneOf(AUDIENCES))
    venue_id = fields.Integer(load_default=None, allow_none=True)


class VenueCreateSchema(InputSchema):
    name = TrimmedString(required=True, validate=[validate.Length(min=1, max=120), NonBlank()])
    kind = fields.String(load_default="room", validate=validate.OneOf(VENUE_KINDS))
    address = TrimmedString(load_default="", validate=validate.Length(max=255))
    capacity = Capacity(load_default=None)


class GuestRegistrationSchema(InputSchema):
    """A person without an account registers for a date of a public event."""

    name = TrimmedString(required=True, validate=[validate.Length(min=1, max=120), NonBlank()])
    email = Email(required=True, validate=validate.Length(max=254))


class MemberRegistrationSchema(InputSchema):
    """A member registers (``is_listed``: show my name among the attendees other members see)."""

    is_listed = fields.Boolean(load_default=False)


class ListingSchema(InputSchema):
    is_listed = fields.Boolean(required=True)


class AttendanceSheetSchema(InputSchema):
    """The whole attendance of a date in one submit: the registrations ticked present (the other
    confirmed ones are no-shows)."""

    present_ids = fields.List(fields.Integer(), load_default=list, validate=validate.Length(max=10000))

class EventCancelSchema(InputSchema):
    """Cancelling an event: the organisers' word to the people registered (optional)."""

    reason = TrimmedString(load_default="", validate=validate.Length(max=1000))


class AttendanceSchema(InputSchema):
    attendance = fields.String(required=True, allow_none=True, validate=validate.OneOf(ATTENDANCE))


class CheckInSchema(InputSchema):
    """Check in (or out): oneself, or a member when the manager does it."""

    member_id = fields.Integer(load_default=None, allow_none=True)
    period = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(PERIODS))


class CheckOutSchema(InputSchema):
    member_id = fields.Integer(load_default=None, allow_none=True)


class EventListQuerySchema(InputSchema):
    start = fields.Date(load_default=None, data_key="from")
    end = fields.Date(load_default=None, data_key="to")
    type = fields.String(load_default=None, validate=validate.OneOf(EVENT_TYPES))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class MonthQuerySchema(InputSchema):
    """The agenda page: list or month view."""

    view = fields.String(load_default="list", validate=validate.OneOf(("list", "month")))
    # Months of the years 1900 to 2999: the calendar around them stays within the datetime range.
    month = fields.String(load_default=None, validate=validate.Regexp(r"^(19|2\d)\d{2}-(0[1-9]|1[0-2])$"))
    type = fields.String(load_default=None, validate=validate.OneOf(EVENT_TYPES))
    #: The list view's page (``AGENDA_PAGE`` lines each).
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100))


# --- output -----------------------------------------------------------------------------------

class VenueOutSchema(OutputSchema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    address = fields.String()
    capacity = fields.Integer(allow_none=True)


class OccurrenceOutSchema(OutputSchema):
    id = fields.Integer()
    start_at = fields.DateTime()
    end_at = fields.DateTime()
    original_start_at = fields.DateTime()
    venue = fields.Nested(VenueOutSchema, allow_none=True)
    capacity = fields.Integer(allow_none=True)
    is_cancelled = fields.Boolean()
    seats_taken = fields.Integer()
    waitlist_length = fields.Integer()
    #: The status of the caller's registration of this date (with a member's token), or null.
    my_status = fields.String(allow_none=True)


class EventSummarySchema(OutputSchema):
    """An event without its dates (agenda lists)."""

    id = fields.Integer()
    uid = fields.String()
    title = fields.String()
    description = fields.String()
    description_html = fields.String()
    type = fields.String()
    status = fields.String()
    audience = fields.String()
    start_at = fields.DateTime()
    end_at = fields.DateTime()
    timezone = fields.String()
    venue = fields.Nested(VenueOutSchema, allow_none=True)
    address = fields.String()
    capacity = fields.Integer(allow_none=True)
    registration_opens_at = fields.DateTime(allow_none=True)
    registration_closes_at = fields.DateTime(allow_none=True)
    price_info = fields.String()
    rrule = fields.String(allow_none=True)
    host_ids = fields.List(fields.Integer())
    sequence = fields.Integer()


class EventOutSchema(EventSummarySchema):
    occurrences = fields.List(fields.Nested(OccurrenceOutSchema))


class AgendaOccurrenceSchema(OccurrenceOutSchema):
    event_id = fields.Integer()


class EventPageSchema(OutputSchema):
    items = fields.List(fields.Nested(EventSummarySchema))
    occurrences = fields.List(fields.Nested(AgendaOccurrenceSchema))
    total = fields.Integer()


class RegistrationOutSchema(OutputSchema):
    """A registration as its holder sees it."""

    id = fields.Integer()
    event_id = fields.Integer()
    occurrence_id = fields.Integer()
    status = fields.String()
    waitlist_position = fields.Integer(allow_none=True)
    offer_expires_at = fields.DateTime(allow_none=True)
    attendance = fields.String(allow_none=True)
    created_at = fields.DateTime()
    event_title = fields.String()
    start_at = fields.DateTime()
    end_at = fields.DateTime()


class AttendeeOutSchema(OutputSchema):
    """A registration as the manager or a host sees it."""

    id = fields.Integer()
    registrant_kind = fields.String()
    member_id = fields.Integer(allow_none=True)
    remote_node_id = fields.String(allow_none=True)
    remote_ref = fields.String(allow_none=True)
    display_name = fields.String()
    email = fields.String(allow_none=True)
    status = fields.String()
    waitlist_position = fields.Integer(allow_none=True)
    offer_expires_at = fields.DateTime(allow_none=True)
    attendance = fields.String(allow_none=True)
    queued_at = fields.DateTime(allow_none=True)


class ProposalOutSchema(OutputSchema):
    id = fields.Integer()
    member_id = fields.Integer()
    title = fields.String()
    description = fields.String()
    type = fields.String()
    start_at = fields.DateTime(attribute="proposed_start_at")
    end_at = fields.DateTime(attribute="proposed_end_at")
    timezone = fields.String()
    capacity = fields.Integer(allow_none=True)
    message = fields.String()
    status = fields.String()
    manager_comment = fields.String()
    event_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)


class CheckInOutSchema(OutputSchema):
    id = fields.Integer()
    member_id = fields.Integer()
    display_name = fields.String()
    day = fields.Date()
    period = fields.String()
    checked_in_at = fields.DateTime()
    checked_out_at = fields.DateTime(allow_none=True)
    is_here = fields.Boolean()
