"""Domain errors raised by services; ``node.app`` maps them to HTTP answers and pages."""

from __future__ import annotations


class DomainError(Exception):
    """Base class: a stable ``code``, an HTTP status and a message safe to show.

    ``message`` is an English msgid marked with ``N_``; a value it names goes in ``params``
    (``N_("The photo is larger than %(size)s KiB."), params={"size": 512}``), so that the
    message is translated first and filled after, where it is shown."""

    code = "error"
    status = 400

    def __init__(self, message: str, *, fields: dict | None = None, code: str | None = None,
                 params: dict | None = None):
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params or {}
        self.fields = fields or {}
        if code:
            self.code = code


class ValidationError(DomainError):
    code = "validation_error"
    status = 422


class BadRequest(DomainError):
    code = "bad_request"
    status = 400


class Unauthorized(DomainError):
    code = "unauthorized"
    status = 401


class Forbidden(DomainError):
    code = "forbidden"
    status = 403


class NotFound(DomainError):
    code = "not_found"
    status = 404


class Conflict(DomainError):
    code = "conflict"
    status = 409


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429


def N_(message: str) -> str:  # noqa: N802 - the gettext convention
    """Mark a message for translation; it is translated where it is shown."""
    return message
