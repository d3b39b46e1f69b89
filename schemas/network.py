"""Network search and introductions: portal forms, API input and output."""

from __future__ import annotations

from marshmallow import fields, validate

from .common import InputSchema, NonBlank, OutputSchema, TrimmedString

LEVEL_BANDS = ("beginner", "intermediate", "confirmed", "expert")
PLACE_KINDS = ("space", "city", "region")


class NetworkSearchQuerySchema(InputSchema):
    """One search box, French or English, plus facets."""

    q = TrimmedString(load_default="", validate=validate.Length(max=200))
    language = fields.String(load_default=None, validate=validate.Regexp(r"^[a-z]{2}$"))
    trade_group = fields.String(load_default=None, validate=validate.Length(max=64))
    place = TrimmedString(load_default=None, validate=validate.Length(max=200))
    open_to_help = fields.Boolean(load_default=False)
    open_to_paid = fields.Boolean(load_default=False)
    open_to_barter = fields.Boolean(load_default=False)
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=50))


class IntroductionRequestSchema(InputSchema):
    """Ask for an introduction to a search result (``handle`` comes from that search)."""

    handle = fields.String(required=True, validate=validate.Length(min=10, max=400))
    message = TrimmedString(required=True, validate=[validate.Length(min=1, max=1000), NonBlank()])
    concept = fields.String(load_default="", validate=validate.Length(max=80))


class IntroductionAcceptSchema(InputSchema):
    reveal_email = fields.Boolean(load_default=False)
    message = TrimmedString(load_default="", validate=validate.Length(max=1000))


class IntroductionDeclineSchema(InputSchema):
    pass


class RequestsPausedSchema(InputSchema):
    paused = fields.Boolean(load_default=False)


class MatchedConceptOutSchema(OutputSchema):
    concept = fields.String()
    label = fields.String()
    level_band = fields.String()
    generalised = fields.Boolean()


class PlaceOutSchema(OutputSchema):
    kind = fields.String()
    value = fields.String()


class NetworkHitOutSchema(OutputSchema):
    """A result card: matched concepts and level only, never a full profile."""

    handle = fields.String(allow_none=True)
    local = fields.Boolean()
    member_id = fields.Integer(allow_none=True)
    display_name = fields.String(allow_none=True)
    headline = fields.String(allow_none=True)
    matched = fields.List(fields.Nested(MatchedConceptOutSchema))
    languages = fields.List(fields.String(), metadata={"description": "ISO 639-1 codes"})
    language_names = fields.List(fields.String(), metadata={
        "description": "the languages by name, in the reader's language"})
    open_to_help = fields.Boolean()
    open_to_paid = fields.Boolean()
    open_to_barter = fields.Boolean()
    trade_group = fields.String(allow_none=True)
    place = fields.Nested(PlaceOutSchema)
    space = fields.String(allow_none=True, metadata={
        "description": "the space's name; null when the owner shares this skill at a coarser "
                       "place (then `place` holds the city or the region)"})


class NetworkSearchOutSchema(OutputSchema):
    concepts = fields.List(fields.String())
    results = fields.List(fields.Nested(NetworkHitOutSchema))
    facets = fields.Dict(keys=fields.String(), values=fields.Dict(keys=fields.String(),
                                                                   values=fields.Integer()))
    #: How many matches the facet counts cover; ``facets_capped``: there may be more (the
    #: counts then cover the best-ranked ones only).
    facet_total = fields.Integer()
    facets_capped = fields.Boolean()


class IntroductionOutSchema(OutputSchema):
    id = fields.Integer()
    direction = fields.String()
    status = fields.String()
    concept = fields.String()
    message = fields.String()
    other_name = fields.String(allow_none=True)
    other_space = fields.String(allow_none=True)
    other_email = fields.String(allow_none=True)
    created_at = fields.DateTime()
    expires_at = fields.DateTime()
