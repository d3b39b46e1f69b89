"""The network pass: agreement offers and answers, the member's pass choices, the front desk,
settling a balance; and what the API returns."""

from __future__ import annotations

from marshmallow import fields, validate

from .common import InputSchema, OutputSchema, TrimmedString

_DAYS = validate.Range(min=0, max=31)
#: A month, YYYY-MM, of the years a coworking space may ask about.
_MONTH = validate.Regexp(r"^(19|20|21)[0-9]{2}-(0[1-9]|1[0-2])$")


class AgreementOfferSchema(InputSchema):
    peer = TrimmedString(required=True, validate=validate.Length(min=1, max=255))
    offerer_members_days = fields.Integer(load_default=None, allow_none=True, strict=True, validate=_DAYS)
    answerer_members_days = fields.Integer(load_default=None, allow_none=True, strict=True, validate=_DAYS)
    pool_days = fields.Integer(load_default=None, allow_none=True, strict=True,
                               validate=validate.Range(min=1, max=62))
    valid_from = fields.Date(required=True)
    valid_until = fields.Date(load_default=None, allow_none=True)


class AgreementAnswerSchema(InputSchema):
    decision = fields.String(required=True, validate=validate.OneOf(("accept", "decline")))


class PassChoiceSchema(InputSchema):
    host = TrimmedString(load_default=None, allow_none=True, validate=validate.Length(max=255))
    show_name = fields.Boolean(load_default=False)
    photo = fields.Boolean(load_default=False)


class DeskCheckSchema(InputSchema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=600))


class SettleSchema(InputSchema):
    peer = TrimmedString(required=True, validate=validate.Length(min=1, max=255))
    month = fields.String(required=True, validate=_MONTH)


class MonthQuerySchema(InputSchema):
    month = fields.String(load_default=None, allow_none=True, validate=_MONTH)


class TermsOutSchema(OutputSchema):
    offerer = fields.String()
    answerer = fields.String()
    offerer_members_days = fields.Integer(allow_none=True)
    answerer_members_days = fields.Integer(allow_none=True)
    pool_days = fields.Integer(allow_none=True)
    valid_from = fields.String()
    valid_until = fields.String(allow_none=True)


class AgreementOutSchema(OutputSchema):
    id = fields.Integer()
    agreement_id = fields.String()
    peer = fields.String(attribute="peer_node_id")
    offered_by_us = fields.Boolean()
    status = fields.String()
    terms = fields.Nested(TermsOutSchema)


class PassOutSchema(OutputSchema):
    pass_id = fields.String()
    code = fields.String()
    host = fields.String(allow_none=True)
    show_name = fields.Boolean()
    photo = fields.Boolean()
    issued_at = fields.DateTime()
    expires_at = fields.DateTime()


class MyPassOutSchema(OutputSchema):
    """The member's pass, or null when their space has no agreement in force (``hosts`` empty)."""

    pass_ = fields.Nested(PassOutSchema, allow_none=True, data_key="pass")
    hosts = fields.List(fields.String())


class VisitOutSchema(OutputSchema):
    visit_id = fields.String()
    direction = fields.String()
    peer = fields.String(attribute="peer_node_id")
    day = fields.Date()
    shown_name = fields.String()


class DeskOutSchema(OutputSchema):
    accepted = fields.Boolean()
    reason = fields.String(allow_none=True)
    message = fields.String()
    issuer = fields.String(allow_none=True)
    shown_name = fields.String(allow_none=True)
    subject = fields.String(allow_none=True)
    photo = fields.Boolean()
    already = fields.Boolean()


class BalanceOutSchema(OutputSchema):
    peer = fields.String(attribute="peer_node_id")
    month = fields.String()
    given = fields.Integer()
    received = fields.Integer()
    balance = fields.Integer()
    allowed_given = fields.Integer(allow_none=True)
    allowed_received = fields.Integer(allow_none=True)
    pool = fields.Integer(allow_none=True)
    settled = fields.Boolean()


class SettlementOutSchema(OutputSchema):
    peer = fields.String(attribute="peer_node_id")
    month = fields.String()
    days = fields.Integer()
    barter_entry_id = fields.Integer(allow_none=True)
