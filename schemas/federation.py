"""Wire schemas of the Coworknet federation protocol, version 1.

Every schema rejects unknown fields. Integers must be JSON integers (never booleans or
strings), booleans must be JSON booleans. These schemas validate shape only; signatures are
checked by the ``federation`` package.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

PROTOCOL_VERSION = "1"
MAX_SAFE_INTEGER = 2**53 - 1

LEVEL_BANDS = ("beginner", "intermediate", "confirmed", "expert")
PLACE_KINDS = ("space", "city", "region")
REGISTRATION_STATUSES = ("confirmed", "waitlisted", "cancelled", "refused")
INTRODUCTION_DECISIONS = ("accepted", "declined")
EVENT_STATUSES = ("scheduled", "cancelled")
EVENT_KINDS = ("workshop", "talk", "meetup", "training", "social", "other")
REGIONAL_VISIBILITIES = ("network", "public")
REGIONAL_DECISIONS = ("accepted", "declined")
# The message types of the protocol, named once here (the wire format); ``federation.messages``
# and the node import these names. A new type goes here, in its content schema below
# (``CONTENT_SCHEMAS``), in docs/PROTOCOL.md §6, and in its feature module's ``register()``.
DIRECTORY_ENTRY = "directory.entry"
EVENT_REGIONAL = "event.regional"
EVENT_SESSION = "event.session"
PEER_STATS = "peer.stats"
NETWORK_ROSTER = "network.roster"

PEERING_REQUEST = "peering.request"
FEED_HINT = "feed.hint"
INTRODUCTION_REQUEST = "introduction.request"
INTRODUCTION_RESPONSE = "introduction.response"
INTRODUCTION_WITHDRAWN = "introduction.withdrawn"
REGISTRATION_REQUEST = "registration.request"
REGISTRATION_RESPONSE = "registration.response"
REGISTRATION_DIGEST = "registration.digest"
CONNECTOR_REQUEST = "connector.request"
CONNECTOR_RESPONSE = "connector.response"
CONNECTOR_DEAL = "connector.deal"
REGIONAL_INVITATION = "regional.invitation"
REGIONAL_ANSWER = "regional.answer"
REGIONAL_REPORT = "regional.report"
PASS_AGREEMENT = "pass.agreement"  # noqa: S105 - a message type
PASS_VISIT = "pass.visit"  # noqa: S105 - a message type
PASS_REVOCATION = "pass.revocation"  # noqa: S105 - a feed item type

#: Signed feed items (pull).
FEED_ITEM_TYPES = (DIRECTORY_ENTRY, EVENT_REGIONAL, EVENT_SESSION, PEER_STATS, PASS_REVOCATION,
                   NETWORK_ROSTER)
#: Inbox messages (push); a ``peering.request`` goes to the peering endpoint, not the inbox.
INBOX_MESSAGE_TYPES = (
    PEERING_REQUEST,
    FEED_HINT,
    INTRODUCTION_REQUEST,
    INTRODUCTION_RESPONSE,
    INTRODUCTION_WITHDRAWN,
    REGISTRATION_REQUEST,
    REGISTRATION_RESPONSE,
    REGISTRATION_DIGEST,
    CONNECTOR_REQUEST,
    CONNECTOR_RESPONSE,
    CONNECTOR_DEAL,
    REGIONAL_INVITATION,
    REGIONAL_ANSWER,
    REGIONAL_REPORT,
    PASS_AGREEMENT,
    PASS_VISIT,
)

_ISO_639_1 = re.compile(r"^[a-z]{2}$")
_TZ_NAME = re.compile(r"^(UTC|[A-Z][A-Za-z_-]+(/[A-Za-z0-9_+-]+){1,2})$")
_ID_TOKEN = re.compile(r"^[A-Za-z0-9._~:/-]{1,300}$")
_B64URL = re.compile(r"^[A-Za-z0-9_-]+$")


class StrictInteger(fields.Integer):
    """An integer that must be a JSON integer within ±(2**53-1), never a bool or string."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError("Not a valid integer.")
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise ValidationError("Integer out of range.")
        return super()._deserialize(value, attr, data, **kwargs)


class StrictBoolean(fields.Boolean):
    """A boolean that must be a JSON ``true``/``false``."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, bool):
            raise ValidationError("Not a valid boolean.")
        return value


class ZonedDateTimeString(fields.String):
    """An ISO 8601 date-time string that carries a UTC offset."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError as exc:
            raise ValidationError("Not an ISO 8601 date-time.") from exc
        if parsed.tzinfo is None:
            raise ValidationError("Date-time must carry a UTC offset.")
        return text


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


def _text(max_length: int, **kwargs: Any) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=max_length), **kwargs)


def _signatures() -> fields.Dict:
    return fields.Dict(
        keys=fields.String(validate=validate.Length(max=255)),
        values=fields.Dict(
            keys=fields.String(validate=validate.Length(max=64)),
            values=fields.String(validate=validate.Regexp(_B64URL)),
        ),
        required=True,
    )


# --- node document ------------------------------------------------------------------------


class VerifyKeySchema(StrictSchema):
    key = fields.String(required=True, validate=validate.Regexp(_B64URL))
    valid_from_ts = StrictInteger(required=True, validate=validate.Range(min=0))


class OldVerifyKeySchema(VerifyKeySchema):
    expired_ts = StrictInteger(required=True, validate=validate.Range(min=0))


class RevokedKeySchema(VerifyKeySchema):
    revoked_ts = StrictInteger(required=True, validate=validate.Range(min=0))
    expired_ts = StrictInteger(validate=validate.Range(min=0))


_KEY_ID = fields.String(validate=validate.Regexp(r"^ed25519:[A-Za-z0-9_-]{1,43}$"))


class NodeDocumentSchema(StrictSchema):
    node_id = _text(255, required=True)
    name = _text(200, required=True)
    city = _text(200, required=True)
    region = _text(200, required=True)
    protocol_versions = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    verify_keys = fields.Dict(
        keys=_KEY_ID,
        values=fields.Nested(VerifyKeySchema),
        required=True,
        validate=validate.Length(min=1),
    )
    old_verify_keys = fields.Dict(keys=_KEY_ID, values=fields.Nested(OldVerifyKeySchema))
    revoked_keys = fields.Dict(keys=_KEY_ID, values=fields.Nested(RevokedKeySchema))
    valid_until_ts = StrictInteger(required=True, validate=validate.Range(min=0))
    signatures = _signatures()


# --- feed ---------------------------------------------------------------------------------


class HashesSchema(StrictSchema):
    sha256 = fields.String(required=True, validate=validate.Regexp(r"^sha256:[A-Za-z0-9_-]{43}$"))


class FeedItemSchema(StrictSchema):
    seq = StrictInteger(required=True, validate=validate.Range(min=1))
    type = fields.String(required=True, validate=validate.OneOf(FEED_ITEM_TYPES))
    id = fields.String(required=True, validate=validate.Regexp(_ID_TOKEN))
    owner = _text(255, required=True)
    origin_ts = StrictInteger(required=True, validate=validate.Range(min=0))
    # The content is checked by its type's content schema (federation.messages).
    content = fields.Dict()
    deleted = StrictBoolean(required=True)
    hashes = fields.Nested(HashesSchema, required=True)
    signatures = _signatures()
    unsigned = fields.Dict(keys=fields.String())


#: The most items a feed page may hold (``federation.feed.MAX_PAGE_ITEMS``).
MAX_FEED_PAGE_ITEMS = 1000


class FeedPageSchema(StrictSchema):
    # Each item is checked by FeedItemSchema (and its signature) before any is applied; here
    # only that it is an object (JSON object keys are strings already).
    items = fields.List(
        fields.Dict(), required=True, validate=validate.Length(max=MAX_FEED_PAGE_ITEMS)
    )
    next_after = StrictInteger(required=True, validate=validate.Range(min=0))
    has_more = StrictBoolean(required=True)
    snapshot_required = StrictBoolean(required=True)


class InboxMessageSchema(StrictSchema):
    type = fields.String(required=True, validate=validate.OneOf(INBOX_MESSAGE_TYPES))
    id = fields.String(required=True, validate=validate.Regexp(_ID_TOKEN))
    origin = _text(255, required=True)
    destination = _text(255, required=True)
    origin_ts = StrictInteger(required=True, validate=validate.Range(min=0))
    content = fields.Dict(keys=fields.String(), required=True)
    signatures = _signatures()


class ErrorBodySchema(StrictSchema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[a-z_]{1,64}$"))
    message = _text(500, required=True)
    #: The receiver's clock (ms) when it refused a request for its date (``expired_signature``).
    server_time_ms = StrictInteger(validate=validate.Range(min=0))


class ErrorSchema(StrictSchema):
    error = fields.Nested(ErrorBodySchema, required=True)


class InboxAcceptedSchema(StrictSchema):
    status = fields.String(required=True, validate=validate.OneOf(("accepted",)))


# --- feed item content --------------------------------------------------------------------


class ConceptSchema(StrictSchema):
    concept = _text(120, required=True)
    level_band = fields.String(required=True, validate=validate.OneOf(LEVEL_BANDS))
    generalised = StrictBoolean(required=True)


class PlaceSchema(StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(PLACE_KINDS))
    value = _text(200, required=True)


class DirectoryEntryContentSchema(StrictSchema):
    pseudonym = fields.String(required=True, validate=validate.Regexp(r"^[a-z2-7]{16,64}$"))
    concepts = fields.List(
        fields.Nested(ConceptSchema), required=True, validate=validate.Length(max=30)
    )
    languages = fields.List(
        fields.String(validate=validate.Regexp(_ISO_639_1)),
        required=True,
        validate=validate.Length(max=12),
    )
    open_to_help = StrictBoolean(required=True)
    open_to_paid = StrictBoolean(required=True)
    open_to_barter = StrictBoolean(required=True)
    trade_group = fields.String(
        required=True, allow_none=True, validate=validate.Length(min=1, max=120)
    )
    place = fields.Nested(PlaceSchema, required=True)
    lease_until_ts = StrictInteger(required=True, validate=validate.Range(min=0))
    named = StrictBoolean(required=True)
    display_name = _text(120)
    headline = _text(200)

    @validates_schema
    def _names_only_when_named(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data.get("named") and ("display_name" in data or "headline" in data):
            raise ValidationError("display_name and headline need named=true", "named")


class VenueSchema(StrictSchema):
    name = _text(200, required=True)
    address = fields.String(validate=validate.Length(max=300))
    city = _text(200, required=True)
    online_url = fields.String(validate=validate.Length(max=500))


class _EventFields(StrictSchema):
    title = _text(200, required=True)
    description = fields.String(required=True, validate=validate.Length(max=5000))
    kind = fields.String(required=True, validate=validate.OneOf(EVENT_KINDS))
    starts_at = ZonedDateTimeString(required=True)
    ends_at = ZonedDateTimeString(required=True)
    timezone = fields.String(required=True, validate=validate.Regexp(_TZ_NAME))
    status = fields.String(required=True, validate=validate.OneOf(EVENT_STATUSES))

    @validates_schema
    def _ends_after_start(self, data: dict[str, Any], **kwargs: Any) -> None:
        if (
            "starts_at" in data
            and "ends_at" in data
            and (
                datetime.fromisoformat(data["ends_at"]) <= datetime.fromisoformat(data["starts_at"])
            )
        ):
            raise ValidationError("ends_at must be after starts_at", "ends_at")


class EventRegionalContentSchema(_EventFields):
    organiser = _text(255, required=True)
    region = fields.String(validate=validate.Length(max=200))
    visibility = fields.String(validate=validate.OneOf(REGIONAL_VISIBILITIES))
    #: Co-organisers that accepted the invitation (node ids); their sessions join the program.
    participants = fields.List(_text(255), validate=validate.Length(max=100))


class EventSessionContentSchema(_EventFields):
    regional_event_id = fields.String(required=True, validate=validate.Regexp(_ID_TOKEN))
    host = _text(255, required=True)
    venue = fields.Nested(VenueSchema, required=True)
    capacity = StrictInteger(required=True, allow_none=True, validate=validate.Range(min=1))
    seats_left = StrictInteger(allow_none=True, validate=validate.Range(min=0))


class PeerStatsContentSchema(StrictSchema):
    members_active = StrictInteger(required=True, validate=validate.Range(min=0))
    directory_entries = StrictInteger(required=True, validate=validate.Range(min=0))
    events_upcoming = StrictInteger(required=True, validate=validate.Range(min=0))
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    # Community connector aggregates (counts and sums only, never a person).
    referrals = StrictInteger(validate=validate.Range(min=0))
    deals_confirmed = StrictInteger(validate=validate.Range(min=0))
    business_cents = StrictInteger(validate=validate.Range(min=0))
    segments = fields.Nested(lambda: SegmentCountsContentSchema())
    regulars = StrictInteger(validate=validate.Range(min=0))
    # Network pass: days this space gave to members of other spaces this year (a count).
    pass_visits = StrictInteger(validate=validate.Range(min=0))
    # Multi-site operator: the node ids this space marked as run by the same operator.
    siblings = fields.List(_text(255), validate=validate.Length(max=100))


class SegmentCountsContentSchema(StrictSchema):
    engaged = StrictInteger(required=True, validate=validate.Range(min=0))
    occasional = StrictInteger(required=True, validate=validate.Range(min=0))
    tenant = StrictInteger(required=True, validate=validate.Range(min=0))
    dormant = StrictInteger(required=True, validate=validate.Range(min=0))


# --- inbox message content ----------------------------------------------------------------


class PeeringRequestContentSchema(StrictSchema):
    name = _text(200, required=True)
    city = _text(200, required=True)
    region = _text(200, required=True)
    #: The node's role address (e.g. contact@space.example), never a person's login; optional.
    contact_email = fields.Email(validate=validate.Length(max=254))
    message = fields.String(validate=validate.Length(max=1000))
    #: A network (its object id) the requester asks to join: the request is its join request.
    network = fields.String(validate=validate.Regexp(_ID_TOKEN))


class FeedHintContentSchema(StrictSchema):
    latest_seq = StrictInteger(required=True, validate=validate.Range(min=0))


class RequesterSchema(StrictSchema):
    display_name = _text(120, required=True)
    headline = _text(200)
    space = _text(200, required=True)
    # Shown to the expert only once they accept; forgotten on decline or expiry.
    email = fields.Email()


class IntroductionRequestContentSchema(StrictSchema):
    request_id = fields.String(required=True, validate=validate.Regexp(_ID_TOKEN))
    pseudonym = fields.String(required=True, validate=validate.Regexp(r"^[a-z2-7]{16,64}$"))
    message = _text(1000, required=True)
    concept = _text(120)
    requester = fields.Nested(RequesterSchema, required=True)


class IntroductionWithdrawnContentSchema(StrictSchema):
    request_id = fields.String(required=True, validate=validate.Regexp(_ID_TOKEN))
    pseudonym = fields.String(required=True, validate=validate.Regexp(r"^[a-z2-7]{16,64}$"))


class IntroductionResponseContentSchema(StrictSchema):
    request_id = fields.String(required=True, validate=validate.Regexp(_ID_TOKEN))
    pseudonym = fields.String(required=True, validate=validate.Regexp(r"^[a-z2-7]{16,64}$"))
    decision = fields.String(required=True, validate=validate.OneOf(INTRODUCTION_DECISIONS))
    message = fields.String(validate=validate.Length(max=1000))
    display_name = _text(120)
    email = fields.Email()

    @validates_schema
    def _contact_only_when_accepted(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("decision") != "accepted" and ("display_name" in data or "email" in data):
            raise ValidationError("contact details only on acceptance", "decision")


class RegistrationRequestContentSchema(StrictSchema):
    session_id = fields.String(required=True, validate=validate.Regexp(_ID_TOKEN))
    idempotency_key = fields.String(
        required=True, validate=validate.Regexp(r"^[A-Za-z0-9_-]{8,64}$")
    )
    action = fields.String(load_default="register", validate=validate.OneOf(("register", "cancel")))
    display_name = _text(120, required=True)
    email = fields.Email()
    #: The action's version, monotonic per idempotency key (PROTOCOL §6.2): the host ignores
    #: an action older than one it applied.
    version = StrictInteger(validate=validate.Range(min=1, max=1_000_000))


class RegistrationResponseContentSchema(StrictSchema):
    session_id = fields.String(required=True, validate=validate.Regexp(_ID_TOKEN))
    idempotency_key = fields.String(
        required=True, validate=validate.Regexp(r"^[A-Za-z0-9_-]{8,64}$")
    )
    status = fields.String(required=True, validate=validate.OneOf(REGISTRATION_STATUSES))
    position = StrictInteger(required=True, allow_none=True, validate=validate.Range(min=1))
    #: The latest action version the host applied for this key, and the host's sequence of
    #: changes of it: the member's node applies an answer only if it is not older.
    version = StrictInteger(validate=validate.Range(min=0, max=1_000_000))
    seq = StrictInteger(validate=validate.Range(min=0, max=1_000_000_000))


class RegistrationDigestContentSchema(StrictSchema):
    """The host's state of the registrations of the receiver's people to its upcoming
    sessions (reconciliation, PROTOCOL §7.5): sent to that peer only."""

    registrations = fields.List(fields.Nested(RegistrationResponseContentSchema), required=True,
                                validate=validate.Length(max=10_000))


class RegionalInvitationContentSchema(EventRegionalContentSchema):
    """The organiser invites a peer to co-organise its regional event."""

    regional_event_id = fields.String(required=True, validate=validate.Regexp(_ID_TOKEN))
    organiser_name = _text(200, required=True)


class RegionalAnswerContentSchema(StrictSchema):
    regional_event_id = fields.String(required=True, validate=validate.Regexp(_ID_TOKEN))
    decision = fields.String(required=True, validate=validate.OneOf(REGIONAL_DECISIONS))


class RegionalReportContentSchema(StrictSchema):
    """A participant's figures for the organiser's report: counts only, never a person."""

    regional_event_id = fields.String(required=True, validate=validate.Regexp(_ID_TOKEN))
    sessions = StrictInteger(required=True, validate=validate.Range(min=0))
    registrations = StrictInteger(required=True, validate=validate.Range(min=0))
    remote_registrations = StrictInteger(required=True, validate=validate.Range(min=0))
    attendance = StrictInteger(required=True, validate=validate.Range(min=0))
    introductions = StrictInteger(required=True, validate=validate.Range(min=0))


class ConnectorRequesterSchema(StrictSchema):
    """Anonymised: only the requesting space, never the member."""

    space = _text(200, required=True)


class ConnectorRequestContentSchema(StrictSchema):
    request_id = fields.String(required=True, validate=validate.Regexp(_ID_TOKEN))
    concepts = fields.List(_text(120), required=True, validate=validate.Length(min=1, max=10))
    message = _text(1000, required=True)
    requester = fields.Nested(ConnectorRequesterSchema, required=True)


class ConnectorResponseContentSchema(StrictSchema):
    """A candidate who consented to be introduced, sent back to the requesting node."""

    request_id = fields.String(required=True, validate=validate.Regexp(_ID_TOKEN))
    response_id = fields.String(required=True, validate=validate.Regexp(_ID_TOKEN))
    display_name = _text(120, required=True)
    email = fields.Email(required=True)
    headline = fields.String(validate=validate.Length(max=200))
    message = fields.String(validate=validate.Length(max=1000))
    space = fields.String(validate=validate.Length(max=200))


class ConnectorDealContentSchema(StrictSchema):
    """The value of a deal after a network introduction: declared by the requesting node,
    confirmed back by the node of the member who was introduced."""

    response_id = fields.String(required=True, validate=validate.Regexp(_ID_TOKEN))
    deal_id = fields.String(required=True, validate=validate.Regexp(_ID_TOKEN))
    amount_cents = StrictInteger(required=True, validate=validate.Range(min=1, max=10**11))
    status = fields.String(required=True, validate=validate.OneOf(("declared", "confirmed")))


_PASS_ID = re.compile(r"^[0-9a-f]{16}$")
_SUBJECT = re.compile(r"^[a-z2-7]{16}$")
_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
PASS_AGREEMENT_ACTIONS = ("offer", "accept", "decline", "end")
PASS_REVOCATION_REASONS = ("left", "suspended", "erased")


class PassTermsSchema(StrictSchema):
    """The terms of a visiting agreement, identical on both sides (PROTOCOL §11.1)."""

    offerer = fields.String(required=True, validate=validate.Length(min=1, max=300))
    answerer = fields.String(required=True, validate=validate.Length(min=1, max=300))
    #: days a month the offerer's members may spend at the answerer's space, and back
    offerer_members_days = StrictInteger(required=True, allow_none=True,
                                         validate=validate.Range(min=0, max=31))
    answerer_members_days = StrictInteger(required=True, allow_none=True,
                                          validate=validate.Range(min=0, max=31))
    #: or one pool of days a month shared by both directions (then both above are null)
    pool_days = StrictInteger(required=True, allow_none=True, validate=validate.Range(min=1, max=62))
    valid_from = fields.String(required=True, validate=validate.Regexp(_DAY))
    valid_until = fields.String(required=True, allow_none=True, validate=validate.Regexp(_DAY))


class PassAgreementContentSchema(StrictSchema):
    agreement_id = fields.String(required=True, validate=validate.Regexp(_ID_TOKEN))
    action = fields.String(required=True, validate=validate.OneOf(PASS_AGREEMENT_ACTIONS))
    terms = fields.Nested(PassTermsSchema, required=True)


class PassVisitContentSchema(StrictSchema):
    """A host tells the issuer that one of its passes was used: pseudonym, day, space."""

    visit_id = fields.String(required=True, validate=validate.Regexp(_ID_TOKEN))
    pass_id = fields.String(required=True, validate=validate.Regexp(_PASS_ID))
    subject = fields.String(required=True, validate=validate.Regexp(_SUBJECT))
    day = fields.String(required=True, validate=validate.Regexp(_DAY))
    space = _text(200, required=True)


class PassRevocationContentSchema(StrictSchema):
    """A member's passes withdrawn by their space (left, suspended, erased)."""

    subject = fields.String(required=True, validate=validate.Regexp(_SUBJECT))
    pass_ids = fields.List(fields.String(validate=validate.Regexp(_PASS_ID)), required=True,
                           validate=validate.Length(max=100))
    reason = fields.String(required=True, validate=validate.OneOf(PASS_REVOCATION_REASONS))


class RosterMemberSchema(StrictSchema):
    node_id = _text(255, required=True)
    name = _text(200, required=True)
    key_id = fields.String(required=True,
                           validate=validate.Regexp(r"^ed25519:[A-Za-z0-9_-]{1,43}$"))
    key = fields.String(required=True, validate=validate.Regexp(_B64URL))
    joined_ts = StrictInteger(required=True, validate=validate.Range(min=0))


class NetworkRosterContentSchema(StrictSchema):
    """A network's signed roster (PROTOCOL §6.1): its version, coordinators and members."""

    network = fields.String(required=True, validate=validate.Regexp(_ID_TOKEN))
    name = _text(200, required=True)
    description = fields.String(required=True, validate=validate.Length(max=2000))
    charter = fields.String(required=True, validate=validate.Length(max=5000))
    version = StrictInteger(required=True, validate=validate.Range(min=1, max=MAX_SAFE_INTEGER))
    coordinators = fields.List(_text(255), required=True, validate=validate.Length(min=1, max=10))
    members = fields.List(fields.Nested(RosterMemberSchema), required=True,
                          validate=validate.Length(max=250))


CONTENT_SCHEMAS: dict[str, type[Schema]] = {
    DIRECTORY_ENTRY: DirectoryEntryContentSchema,
    EVENT_REGIONAL: EventRegionalContentSchema,
    EVENT_SESSION: EventSessionContentSchema,
    PEER_STATS: PeerStatsContentSchema,
    NETWORK_ROSTER: NetworkRosterContentSchema,
    PEERING_REQUEST: PeeringRequestContentSchema,
    FEED_HINT: FeedHintContentSchema,
    INTRODUCTION_REQUEST: IntroductionRequestContentSchema,
    INTRODUCTION_RESPONSE: IntroductionResponseContentSchema,
    INTRODUCTION_WITHDRAWN: IntroductionWithdrawnContentSchema,
    REGISTRATION_REQUEST: RegistrationRequestContentSchema,
    REGISTRATION_RESPONSE: RegistrationResponseContentSchema,
    REGISTRATION_DIGEST: RegistrationDigestContentSchema,
    CONNECTOR_REQUEST: ConnectorRequestContentSchema,
    CONNECTOR_RESPONSE: ConnectorResponseContentSchema,
    CONNECTOR_DEAL: ConnectorDealContentSchema,
    REGIONAL_INVITATION: RegionalInvitationContentSchema,
    REGIONAL_ANSWER: RegionalAnswerContentSchema,
    REGIONAL_REPORT: RegionalReportContentSchema,
    PASS_AGREEMENT: PassAgreementContentSchema,
    PASS_VISIT: PassVisitContentSchema,
    PASS_REVOCATION: PassRevocationContentSchema,
}
