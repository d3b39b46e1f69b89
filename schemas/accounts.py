"""Accounts: login, sign-up, invitations, password resets and API tokens."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from .common import Email, InputSchema, NonBlank, OutputSchema, Password, TrimmedString
from .members import ROLES


class LoginSchema(InputSchema):
    email = Email(required=True)
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256))
    next = fields.String(load_default=None, validate=validate.Length(max=500))


class SignupSchema(InputSchema):
    """A new account (sign-up form or invitation): who, the password, and the consent to the
    space's privacy notice in the version the form showed."""

    email = Email(required=True)
    display_name = TrimmedString(required=True, validate=[validate.Length(min=1, max=80), NonBlank()])
    password = Password(required=True)
    password_confirm = fields.String(required=True, load_only=True)
    accept_privacy = fields.Boolean(
        required=True, validate=validate.Equal(True, error="Accept the privacy notice to create your account."))
    privacy_version = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0))

    @validates_schema
    def _passwords_match(self, data, **kwargs):
        if data.get("password") != data.get("password_confirm"):
            raise ValidationError("The two passwords differ.", field_name="password_confirm")


class InvitationCreateSchema(InputSchema):
    email = Email(load_default=None, allow_none=True)
    role = fields.String(load_default="member", validate=validate.OneOf(ROLES))


class InvitationOutSchema(OutputSchema):
    id = fields.Integer()
    email = fields.String(allow_none=True)
    role = fields.String()
    expires_at = fields.DateTime()
    url = fields.String()


class PasswordResetRequestSchema(InputSchema):
    email = Email(required=True)


class PasswordResetSchema(InputSchema):
    password = Password(required=True)
    password_confirm = fields.String(required=True, load_only=True)

    @validates_schema
    def _passwords_match(self, data, **kwargs):
        if data.get("password") != data.get("password_confirm"):
            raise ValidationError("The two passwords differ.", field_name="password_confirm")


class PasswordChangeSchema(PasswordResetSchema):
    current_password = fields.String(required=True, load_only=True)


class AccountEraseSchema(InputSchema):
    """A member deleting their own account: their password when they have one, and the
    confirmation."""

    current_password = fields.String(load_default="", load_only=True, validate=validate.Length(max=1000))
    confirm = fields.String(load_default="")


class ApiTokenCreateSchema(InputSchema):
    name = TrimmedString(required=True, validate=[validate.Length(min=1, max=80), NonBlank()])


class ApiTokenOutSchema(OutputSchema):
    id = fields.Integer()
    name = fields.String()
    prefix = fields.String()
    created_at = fields.DateTime()
    last_used_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)


class ApiTokenCreatedSchema(ApiTokenOutSchema):
    token = fields.String(metadata={"description": "Shown once; store it now."})


class SpaceOutSchema(OutputSchema):
    name = fields.String()
    city = fields.String()
    region = fields.String()
    base_url = fields.String()
    description = fields.String()
    signup_mode = fields.String()
    address = fields.String()
    opening_hours = fields.String()
    contact_email = fields.String()
    privacy_notice_version = fields.Integer()


class SpaceSettingsSchema(InputSchema):
    """What the manager sets about the space: sign-ups, what the home page says, the privacy
    notice people consent to when they create an account."""

    signup_mode = fields.String(required=True, validate=validate.OneOf(("approval", "closed")))
    description = TrimmedString(load_default="", validate=validate.Length(max=4000))
    address = TrimmedString(load_default="", validate=validate.Length(max=255))
    opening_hours = TrimmedString(load_default="", validate=validate.Length(max=1000))
    contact_email = Email(load_default=None, allow_none=True, validate=validate.Length(max=254))
    privacy_notice = TrimmedString(load_default="", validate=validate.Length(max=20000))
