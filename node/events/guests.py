"""Registration without an account, for public events: a name and an e-mail address,
confirmed by a link sent to that address.

- **Nothing is stored before the confirmation.** The confirmation link carries the request
  (date, name, address) encrypted and authenticated (Fernet, with a key derived from the node's
  secret), so an unconfirmed request holds no seat and leaves no row to clean up; the link
  expires after ``EVENT_GUEST_CONFIRM_HOURS`` (and never outlives the registration period,
  which :func:`node.events.registrations.register` checks when it is used). Encrypted, not only
  signed: the address never shows in a URL or an access log.
- **Confirmed: a registration like a member's** (``registrant_kind = "guest"``), under the same
  capacity and waitlist rules, shown to the manager as a guest, counted (never named) in the
  attendee list other people see. Its *manage link* (mailed) lets the guest confirm a seat
  offered from the waitlist or cancel, until the date ends.
- **Erased after the date**: ``EVENT_GUEST_RETENTION_DAYS`` after the date ends, the name and
  address are erased (:func:`erase_past`, in the periodic ``events.tick``); the row stays,
  anonymous, for the attendance figures.
- One person and address per date: the registration's key is derived from the address, so a
  second confirmation of the same address is "already registered".
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..errors import N_, Forbidden, NotFound, ValidationError
from .models import EventOccurrence, EventStatus, Registration
from .registrations import Registrant, RegistrationResult, register

logger = logging.getLogger(__name__)

CONFIRM = b"coworknet events guest confirmation"
MANAGE = b"coworknet events guest registration"


def _fernet(secret: str, purpose: bytes) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret.encode("utf-8"))
    return Fernet(base64.urlsafe_b64encode(key))


def _seal(secret: str, purpose: bytes, payload: dict) -> str:
    return _fernet(secret, purpose).encrypt(json.dumps(payload, separators=(",", ":")).encode()).decode()


def _open(secret: str, purpose: bytes, token: str, now: datetime) -> dict:
    """The payload of a link; a NotFound for a forged, altered or expired one."""
    try:
        payload = json.loads(_fernet(secret, purpose).decrypt(token.encode("ascii")))
    except (InvalidToken, ValueError, UnicodeError):
        raise NotFound(N_("This link is not valid.")) from None
    if payload.get("x", 0) < now.timestamp():
        raise NotFound(N_("This link has expired."))
    return payload


def guest_key(email: str) -> str:
    """The registration key of an address: one registration per address and date."""
    return "guest:" + hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()[:40]


@dataclass(frozen=True)
class GuestRequest:
    """What the confirmation link holds."""

    occurrence_id: int
    name: str
    email: str


def open_occurrence(session: Session, occurrence_id: int, now: datetime) -> EventOccurrence:
    """A date of a published public event that has not started: the only ones a guest may
    register for."""
    occurrence = session.get(EventOccurrence, occurrence_id)
    if occurrence is None or occurrence.event.audience != "public" or occurrence.event.status == EventStatus.DRAFT:
        raise NotFound(N_("No such event."))
    if occurrence.event.status != EventStatus.PUBLISHED or occurrence.is_cancelled or occurrence.start_at <= now:
        raise Forbidden(N_("This event is not open for registration."))
    return occurrence


def request_registration(session: Session, secret: str, occurrence_id: int, name: str, email: str,
                         now: datetime, ttl: timedelta) -> tuple[EventOccurrence, str]:
    """Check a guest's request and seal it into a confirmation token (nothing is written).
    The caller mails the link to ``email`` and counts the request against its rate limits."""
    occurrence = open_occurrence(session, occurrence_id, now)
    name, email = name.strip(), email.strip()
    if not name:
        raise ValidationError(N_("Please check the highlighted fields."),
                              fields={"name": [N_("Missing data for required field.")]})
    expires = min(now + ttl, occurrence.start_at)
    token = _seal(secret, CONFIRM, {"o": occurrence.id, "n": name, "e": email, "x": int(expires.timestamp())})
    return occurrence, token


def read_request(secret: str, token: str, now: datetime) -> GuestRequest:
    payload = _open(secret, CONFIRM, token, now)
    return GuestRequest(int(payload["o"]), str(payload["n"]), str(payload["e"]))


def confirm_registration(session: Session, secret: str, token: str, now: datetime) -> RegistrationResult:
    """The guest followed the link: take a seat or a waitlist place (a repeated click returns the
    same registration). Flushes; records ``RegistrationChanged``."""
    request = read_request(secret, token, now)
    open_occurrence(session, request.occurrence_id, now)
    registrant = Registrant.guest(request.name, request.email, guest_key(request.email))
    return register(session, request.occurrence_id, registrant, now, idempotent=True)


def manage_token(secret: str, registration: Registration) -> str:
    """The guest's link to their registration, valid until its date ends."""
    expires = registration.occurrence.end_at
    return _seal(secret, MANAGE, {"r": registration.id, "k": registration.idempotency_key,
                                  "x": int(expires.timestamp())})


def registration_for(session: Session, secret: str, token: str, now: datetime) -> Registration:
    """The guest registration a manage link points to (NotFound once erased or altered)."""
    payload = _open(secret, MANAGE, token, now)
    registration = session.get(Registration, int(payload["r"]))
    if (registration is None or registration.registrant_kind != "guest"
            or registration.idempotency_key != payload["k"]):
        raise NotFound(N_("This link is not valid."))
    return registration


def erase_past(session: Session, now: datetime, retention: timedelta) -> int:
    """Erase the name and address of guests whose date ended more than ``retention`` ago;
    returns how many. Flushes."""
    ended = select(EventOccurrence.id).where(EventOccurrence.end_at < now - retention)
    result = session.execute(
        update(Registration)
        .where(Registration.registrant_kind == "guest", Registration.email.is_not(None),
               Registration.occurrence_id.in_(ended))
        .values(display_name="", email=None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount:
        logger.info("%d guest registration(s) erased", result.rowcount)
    session.flush()
    return result.rowcount or 0
