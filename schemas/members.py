"""Members and profiles: what may come in, and what a member, a manager or the API sees."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from marshmallow import ValidationError, fields, validate, validates

from .common import InputSchema, NonBlank, OutputSchema, PageSchema, TrimmedString

SKILL_LEVELS = ("debutant", "confirme", "expert")
VISIBILITIES = ("space", "network_anonymous", "network_named")
ROLES = ("member", "manager")
STATUSES = ("pending", "active", "suspended")
LOCALES = ("fr", "en")
CONTACT_KINDS = ("email", "phone", "website", "linkedin", "mastodon")
_PHONE = re.compile(r"^\+?[0-9][0-9 .()\-]{5,28}[0-9]$")
_MASTODON = re.compile(r"^@?[A-Za-z0-9_]{1,30}@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}$")


class SkillInSchema(InputSchema):
    label = TrimmedString(required=True, validate=[validate.Length(min=1, max=120), NonBlank()])
    level = fields.String(load_default="confirme", validate=validate.OneOf(SKILL_LEVELS))


def _web_address(value: str) -> str:
    """An http(s) address with a host; "www.example.org" is read as https://www.example.org."""
    if "://" not in value:
        value = "https://" + value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or "." not in (parts.hostname or ""):
        raise ValidationError("Not a valid web address.")
    return value


class WebAddress(TrimmedString):
    """A web address as typed, completed with ``https://`` when the scheme is left out."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        return _web_address(text) if text else text


class ContactsSchema(InputSchema):
    """The ways to reach a member, each shown to the members of the space or not (``show_*``).
    A blank value removes that contact. They stay on the node: never sent to a peer."""

    email = TrimmedString(load_default="", validate=validate.Length(max=254))
    phone = TrimmedString(load_default="", validate=validate.Length(max=40))
    website = WebAddress(load_default="", validate=validate.Length(max=255))
    linkedin = WebAddress(load_default="", validate=validate.Length(max=255))
    mastodon = TrimmedString(load_default="", validate=validate.Length(max=255))
    show_email = fields.Boolean(load_default=False)
    show_phone = fields.Boolean(load_default=False)
    show_website = fields.Boolean(load_default=False)
    show_linkedin = fields.Boolean(load_default=False)
    show_mastodon = fields.Boolean(load_default=False)

    @validates("email")
    def _email(self, value, **kwargs):
        if value:
            validate.Email(error="Not a valid email address.")(value)

    @validates("phone")
    def _phone(self, value, **kwargs):
        if value and not _PHONE.match(value):
            raise ValidationError("Not a valid phone number.")

    @validates("linkedin")
    def _linkedin(self, value, **kwargs):
        if value:
            host = urlsplit(value).hostname or ""
            if host != "linkedin.com" and not host.endswith(".linkedin.com"):
                raise ValidationError("Give the address of your LinkedIn page.")

    @validates("mastodon")
    def _mastodon(self, value, **kwargs):
        if value and not _MASTODON.match(value):
            try:
                _web_address(value)
            except ValidationError:
                raise ValidationError("Give your Mastodon address (@name@server) or its web "
                                      "address.") from None


class ProfileUpdateSchema(InputSchema):
    """A partial update of one's own profile."""

    display_name = TrimmedString(validate=[validate.Length(min=1, max=80), NonBlank()])
    headline = TrimmedString(validate=validate.Length(max=140))
    bio = TrimmedString(validate=validate.Length(max=4000))
    trade_id = fields.String(allow_none=True, validate=validate.Length(max=64))
    skills = fields.List(fields.Nested(SkillInSchema), validate=validate.Length(max=30))
    languages = fields.List(
        fields.String(validate=validate.Regexp(r"^[a-z]{2}$")), validate=validate.Length(max=15)
    )
    open_to_help = fields.Boolean()
    open_to_paid = fields.Boolean()
    open_to_barter = fields.Boolean()
    visibility = fields.String(validate=validate.OneOf(VISIBILITIES))
    locale = fields.String(allow_none=True, validate=validate.OneOf(LOCALES))
    contacts = fields.Nested(ContactsSchema)


class SkillOutSchema(OutputSchema):
    label = fields.String()
    concept_id = fields.String(allow_none=True)
    concept_label = fields.String(allow_none=True)
    tag = fields.String()
    level = fields.String()


class MemberOutSchema(OutputSchema):
    """A profile as another member of the space sees it."""

    id = fields.Integer()
    display_name = fields.String()
    headline = fields.String()
    bio = fields.String()
    trade_id = fields.String(allow_none=True)
    skills = fields.List(fields.Nested(SkillOutSchema))
    languages = fields.List(fields.String(), attribute="language_codes")
    open_to_help = fields.Boolean()
    open_to_paid = fields.Boolean()
    open_to_barter = fields.Boolean()
    visibility = fields.String()
    has_photo = fields.Method("_has_photo")
    #: The contacts the member shows to the members of the space (kind -> value).
    contacts = fields.Method("_shown_contacts")

    def _has_photo(self, member) -> bool:
        return bool(getattr(member, "photo_filename", None))

    def _shown_contacts(self, member) -> dict:
        return {c.kind: c.value for c in getattr(member, "contacts", []) if c.is_shown}


class MemberSelfSchema(MemberOutSchema):
    """One's own profile and account."""

    email = fields.String()
    role = fields.String()
    status = fields.String()
    locale = fields.String(allow_none=True)
    #: All my contacts, and whether each is shown: ``{"phone": "...", "show_phone": true}``.
    contacts = fields.Method("_all_contacts")

    def _all_contacts(self, member) -> dict:
        out: dict = {}
        for contact in getattr(member, "contacts", []):
            out[contact.kind], out[f"show_{contact.kind}"] = contact.value, contact.is_shown
        return out


class MemberAdminSchema(MemberSelfSchema):
    """What a manager sees of a member."""

    created_at = fields.DateTime()
    last_login_at = fields.DateTime(allow_none=True)


class MemberPageSchema(PageSchema):
    items = fields.List(fields.Nested(MemberOutSchema))


class DirectoryQuerySchema(InputSchema):
    q = TrimmedString(load_default="", validate=validate.Length(max=200))
    trade = fields.String(load_default=None, validate=validate.Length(max=64))
    language = fields.String(load_default=None, validate=validate.Regexp(r"^[a-z]{2}$"))
    open_to_help = fields.Boolean(load_default=False)
    open_to_paid = fields.Boolean(load_default=False)
    open_to_barter = fields.Boolean(load_default=False)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class MemberListQuerySchema(InputSchema):
    """The manager's member list, optionally of one status."""

    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))


class LanguageFormSchema(InputSchema):
    """The language switch of every page: the locale, and the page to go back to."""

    lang = fields.String(required=True, validate=validate.OneOf(LOCALES))
    next = fields.String(load_default="", validate=validate.Length(max=2000))


class StatusChangeSchema(InputSchema):
    status = fields.String(required=True, validate=validate.OneOf(STATUSES[1:]))


class RoleChangeSchema(InputSchema):
    role = fields.String(required=True, validate=validate.OneOf(ROLES))


class AdminMemberUpdateSchema(InputSchema):
    status = fields.String(validate=validate.OneOf(STATUSES[1:]))
    role = fields.String(validate=validate.OneOf(ROLES))


# --- the manager's curation of free-text skills ------------------------------------------------


class SkillMappingInSchema(InputSchema):
    """Map a free-text skill (as typed or folded) to a concept of the thesaurus."""

    tag = TrimmedString(required=True, validate=[validate.Length(min=1, max=120), NonBlank()])
    concept_id = TrimmedString(required=True, validate=[validate.Length(min=1, max=64), NonBlank()])


class SkillTagSchema(InputSchema):
    """One free-text skill (a form's hidden field: undo a mapping, withdraw a proposal)."""

    tag = TrimmedString(required=True, validate=[validate.Length(min=1, max=120), NonBlank()])


class ConceptProposalInSchema(InputSchema):
    """Propose a new concept for a free-text skill: its French and English labels, its group."""

    tag = TrimmedString(required=True, validate=[validate.Length(min=1, max=120), NonBlank()])
    label_fr = TrimmedString(required=True, validate=[validate.Length(min=1, max=120), NonBlank()])
    label_en = TrimmedString(required=True, validate=[validate.Length(min=1, max=120), NonBlank()])
    group = TrimmedString(required=True, validate=[validate.Length(min=1, max=64), NonBlank()])


class UnmappedSkillOutSchema(OutputSchema):
    tag = fields.String()
    members = fields.Integer()
    labels = fields.List(fields.String())


class UnmappedSkillListSchema(OutputSchema):
    items = fields.List(fields.Nested(UnmappedSkillOutSchema))


class SkillMappingOutSchema(OutputSchema):
    """A mapping made or undone: the tag, the concept, the members whose skills changed."""

    tag = fields.String()
    concept_id = fields.String()
    concept_label = fields.String()
    members_changed = fields.Integer()
    replaced = fields.String(allow_none=True)


class ProposedConceptSchema(OutputSchema):
    """A concept in the thesaurus's ``skills.json`` format."""

    id = fields.String()
    group = fields.String()
    fr = fields.String()
    en = fields.String()
    aliases_fr = fields.List(fields.String())
    aliases_en = fields.List(fields.String())


class ConceptProposalOutSchema(OutputSchema):
    tag = fields.String()
    label_fr = fields.String()
    label_en = fields.String()
    group = fields.String(attribute="group_id")
    status = fields.String()
    created = fields.Boolean()


class ProposalsDocumentSchema(OutputSchema):
    """The waiting proposals as a ``skills.json`` document, to send upstream."""

    version = fields.Integer()
    concepts = fields.List(fields.Nested(ProposedConceptSchema))
