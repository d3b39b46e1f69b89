"""The community connector: needs, queue, referrals and deals, barter, settings, digest."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from marshmallow import ValidationError, fields, validate

from .common import InputSchema, NonBlank, OutputSchema, TrimmedString

QUEUE_STATES = ("new", "matched", "introduced", "done", "no_match")
BARTER_UNITS = ("pass", "day", "package")
BARTER_DIRECTIONS = ("given", "received")
CONSENT_DECISIONS = ("accepted", "declined")
MAX_CENTS = 10**11  # one billion euros: far beyond any deal between coworkers

#: Spaces people put between thousands (plain, no-break, narrow no-break, thin) and the
#: apostrophe of Swiss writing.
_GROUP_BLANKS = re.compile("[ \u00a0\u202f\u2009'\u2019]")
_CURRENCY = re.compile(r"^(?:€|eur(?:os?)?)\s*|\s*(?:€|eur(?:os?)?)$", re.IGNORECASE)
AMOUNT_MESSAGE = "Write the amount in figures, e.g. 1200 or 1 250,50."


def euro_cents(text: str) -> int:
    """A euro amount as people write it, in integer cents: "1200", "1 200", "1.200",
    "1200 €", "1 250,50", "1,250.50", "€1200". A separator followed by exactly three digits
    groups thousands; followed by one or two, it marks the cents. Anything else (words,
    "environ 500", three decimals after both separators) raises ``ValueError``."""
    compact = _GROUP_BLANKS.sub("", _CURRENCY.sub("", text.strip()))
    if not re.fullmatch(r"[0-9][0-9.,]*", compact) or len(compact) > 20:
        raise ValueError(text)
    separators = [c for c in compact if c in ".,"]
    whole, cents = compact, ""
    if separators:
        last = separators[-1]
        head, _sep, tail = compact.rpartition(last)
        is_decimal = len(set(separators)) == 2 or (separators.count(last) == 1 and len(tail) in (1, 2))
        if is_decimal:
            if len(tail) not in (1, 2):
                raise ValueError(text)
            whole, cents = head, tail
        groups = re.split(r"[.,]", whole)
        if len(groups) > 1 and (not 1 <= len(groups[0]) <= 3 or any(len(g) != 3 for g in groups[1:])):
            raise ValueError(text)
        if len({c for c in whole if c in ".,"}) > 1:
            raise ValueError(text)
        whole = "".join(groups)
    if not whole.isdigit():
        raise ValueError(text)
    return int(Decimal(f"{whole}.{cents or '0'}") * 100)


class EuroAmount(fields.Field):
    """A euro amount given as text, leniently read (:func:`euro_cents`), loaded as integer
    cents. JSON numbers are refused: a float would round money."""

    def _deserialize(self, value, attr, data, **kwargs) -> int:
        if not isinstance(value, str):
            raise ValidationError("Give the amount as text, e.g. \"1250,00\".")
        try:
            cents = euro_cents(value)
        except (ValueError, InvalidOperation) as exc:
            raise ValidationError(AMOUNT_MESSAGE) from exc
        if cents > MAX_CENTS:
            raise ValidationError("Amount too large.")
        return cents


def cents_text(cents: int | None) -> str | None:
    """Integer cents as a plain decimal text ("1250.50"), for the API."""
    if cents is None:
        return None
    return f"{Decimal(cents) / 100:.2f}"


class OptionalEuroAmount(EuroAmount):
    def _deserialize(self, value, attr, data, **kwargs):
        if value == "":
            return None
        return super()._deserialize(value, attr, data, **kwargs)


class OptionalDate(fields.Date):
    def _deserialize(self, value, attr, data, **kwargs):
        if value == "":
            return None
        return super()._deserialize(value, attr, data, **kwargs)


def _text(max_len: int, **kwargs) -> TrimmedString:
    return TrimmedString(validate=[validate.Length(min=1, max=max_len), NonBlank()], **kwargs)


# --- input ----------------------------------------------------------------------------------


class NeedCreateSchema(InputSchema):
    text = _text(1000, required=True)
    budget = OptionalEuroAmount(load_default=None, allow_none=True)
    deadline = OptionalDate(load_default=None, allow_none=True)


class NeedAnswerSchema(InputSchema):
    message = _text(2000, required=True)


class NeedCloseSchema(InputSchema):
    outcome = _text(2000, required=True)


class IntroductionAskSchema(InputSchema):
    """A member tells the manager whom they look for."""

    text = _text(1000, required=True)


class DigestPreviewQuerySchema(InputSchema):
    """The digest page previews the digest of one member (the first active one when absent)."""

    member_id = fields.Integer(load_default=None, strict=True)


class QueueStateSchema(InputSchema):
    state = fields.String(required=True, validate=validate.OneOf(QUEUE_STATES))
    note = TrimmedString(load_default="", validate=validate.Length(max=2000))


class CandidateProposeSchema(InputSchema):
    member_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


class EscalateSchema(InputSchema):
    """The manager may reword the request before it leaves the node (no names in it)."""

    message = _text(1000, required=True)


class ConsentSchema(InputSchema):
    decision = fields.String(required=True, validate=validate.OneOf(CONSENT_DECISIONS))
    message = TrimmedString(load_default="", validate=validate.Length(max=1000))


class ReferralCreateSchema(InputSchema):
    referee_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    need_id = fields.Integer(load_default=None, allow_none=True, strict=True,
                             validate=validate.Range(min=1))
    client = TrimmedString(load_default="", validate=validate.Length(max=200))
    note = TrimmedString(load_default="", validate=validate.Length(max=2000))


class DealDeclareSchema(InputSchema):
    amount = EuroAmount(required=True)


class EmptySchema(InputSchema):
    """Actions without fields (acknowledge, confirm, opt out): only the CSRF token."""


class BarterCreateSchema(InputSchema):
    member_id = fields.Integer(load_default=None, allow_none=True, strict=True,
                               validate=validate.Range(min=1))
    peer = TrimmedString(load_default=None, allow_none=True, validate=validate.Length(max=255))
    direction = fields.String(required=True, validate=validate.OneOf(BARTER_DIRECTIONS))
    unit = fields.String(required=True, validate=validate.OneOf(BARTER_UNITS))
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=1000))
    service = _text(300, required=True)
    occurred_on = fields.Date(required=True)


class EngagementSettingsSchema(InputSchema):
    goal_members = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=100000))
    goal_regulars = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=100000))
    regular_checkins = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=31))


class DigestSettingsSchema(InputSchema):
    digest_enabled = fields.Boolean(required=True)


class DigestSubscriptionSchema(InputSchema):
    subscribed = fields.Boolean(required=True)


class SiblingSchema(InputSchema):
    node_id = _text(255, required=True)
    sibling = fields.Boolean(required=True)


# --- output ---------------------------------------------------------------------------------


class PersonOutSchema(OutputSchema):
    id = fields.Integer()
    display_name = fields.String()


class NeedAnswerOutSchema(OutputSchema):
    id = fields.Integer()
    member = fields.Nested(PersonOutSchema)
    message = fields.String()
    created_at = fields.DateTime()


class NeedOutSchema(OutputSchema):
    id = fields.Integer()
    author = fields.Nested(PersonOutSchema)
    text = fields.String()
    concept_ids = fields.List(fields.String())
    budget = fields.Function(lambda need: cents_text(need.budget_cents))
    budget_cents = fields.Integer(allow_none=True)
    deadline = fields.Date(allow_none=True)
    status = fields.String()
    outcome = fields.String()
    created_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)
    answers = fields.List(fields.Nested(NeedAnswerOutSchema))


class CandidateOutSchema(OutputSchema):
    id = fields.Integer()
    member = fields.Nested(PersonOutSchema)
    consent = fields.String()
    item_text = fields.Function(lambda c: c.item.text)
    origin_space = fields.Function(lambda c: c.item.origin_space)
    deal_cents = fields.Integer(allow_none=True)
    deal_confirmed_at = fields.DateTime(allow_none=True)


class NetworkAnswerOutSchema(OutputSchema):
    id = fields.Integer()
    peer = fields.String()
    space = fields.String()
    display_name = fields.String()
    email = fields.String()
    headline = fields.String()
    message = fields.String()
    received_at = fields.DateTime()


class QueueItemOutSchema(OutputSchema):
    id = fields.Integer()
    kind = fields.String()
    state = fields.String()
    text = fields.String()
    need_id = fields.Integer(allow_none=True)
    requester = fields.Nested(PersonOutSchema, allow_none=True)
    origin_peer = fields.String(allow_none=True)
    origin_space = fields.String()
    note = fields.String()
    created_at = fields.DateTime()
    escalated_at = fields.DateTime(allow_none=True)
    first_response_at = fields.DateTime(allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)
    candidates = fields.List(fields.Nested(CandidateOutSchema))
    network_answers = fields.List(fields.Nested(NetworkAnswerOutSchema))


class ReferralOutSchema(OutputSchema):
    id = fields.Integer()
    referrer = fields.Nested(PersonOutSchema)
    referee = fields.Nested(PersonOutSchema, allow_none=True)
    referee_name = fields.String()
    network_answer_id = fields.Integer(allow_none=True)
    need_id = fields.Integer(allow_none=True)
    client = fields.String()
    note = fields.String()
    status = fields.String()
    value = fields.Function(lambda referral: cents_text(referral.value_cents))
    value_cents = fields.Integer(allow_none=True)
    value_declared_by_id = fields.Integer(allow_none=True)
    value_confirmed_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class BarterEntryOutSchema(OutputSchema):
    id = fields.Integer()
    member_id = fields.Integer(allow_none=True)
    peer = fields.String(allow_none=True)
    direction = fields.String()
    unit = fields.String()
    quantity = fields.Integer()
    service = fields.String()
    occurred_on = fields.Date()


class TotalsOutSchema(OutputSchema):
    year = fields.Integer()
    referrals = fields.Integer()
    deals_confirmed = fields.Integer()
    business_cents = fields.Integer()
    business = fields.String()
    network_in_cents = fields.Integer()
    network_in_deals = fields.Integer()
    network_business_cents = fields.Integer()
    network_deals_confirmed = fields.Integer()
    network_nodes = fields.Integer()


class SegmentCountsSchema(OutputSchema):
    engaged = fields.Integer()
    occasional = fields.Integer()
    tenant = fields.Integer()
    dormant = fields.Integer()


class EngagementRowSchema(OutputSchema):
    member_id = fields.Integer()
    display_name = fields.String()
    score = fields.Integer()
    segment = fields.String()
    events = fields.Integer()
    checkins = fields.Integer()
    answers = fields.Integer()
    introductions = fields.Integer()
    referrals = fields.Integer()
    is_regular = fields.Boolean()


class EngagementOutSchema(OutputSchema):
    month = fields.String()
    members = fields.List(fields.Nested(EngagementRowSchema))
    segments = fields.Nested(SegmentCountsSchema)
    trend = fields.List(fields.Dict())
    goal_members = fields.Integer()
    goal_regulars = fields.Integer()
    regular_checkins = fields.Integer()
    active_members = fields.Integer()
    regulars = fields.Integer()


class NeedListQuerySchema(InputSchema):
    status = fields.String(load_default="open", validate=validate.OneOf(("open", "closed")))
    #: The board's page (``NEEDS_PAGE`` needs each; the API's list is the first 100).
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1000))


class QueueQuerySchema(InputSchema):
    state = fields.String(load_default=None, validate=validate.OneOf(QUEUE_STATES))


class MonthQuerySchema(InputSchema):
    month = fields.String(load_default=None, validate=validate.Regexp(r"^(19|20)\d{2}-(0[1-9]|1[0-2])$"))


class EscalationOutSchema(OutputSchema):
    item = fields.Nested(QueueItemOutSchema)
    peers = fields.Integer()


class BalanceOutSchema(OutputSchema):
    counterpart = fields.String()
    label = fields.String()
    units = fields.Dict(keys=fields.String(), values=fields.Integer())


class BarterOutSchema(OutputSchema):
    entries = fields.List(fields.Nested(BarterEntryOutSchema))
    balances = fields.List(fields.Nested(BalanceOutSchema))
