"""A member's network pass: signed by this node, valid a few days, renewed when it nears its
end; the member chooses where it is valid, whether their name and photo are shown."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from federation import passes as token
from federation.keys import SigningKey

from ..errors import N_, Conflict, Forbidden, ValidationError
from ..federation.keyring import runtime_of
from ..members.models import Member
from ..network.settings import settings_of
from .agreements import agreement_peers
from .models import IssuedPass

#: How long a pass is valid, and when it is renewed (before its end).
VALIDITY = timedelta(days=2)
RENEW_BEFORE = timedelta(days=1)


def _secret(session: Session, key: SigningKey) -> bytes:
    settings = settings_of(session)
    if settings is not None:
        return settings.pseudonym_secret
    return hashlib.sha256(b"coworknet/pass-subject/v1" + key.to_private_bytes()).digest()


def subject_for(session: Session, member_id: int, host: str | None, pass_id: bytes) -> bytes:
    """The 10-byte subject of a pass: the member's stable pseudonym for one host (so that the
    host counts visits and honours revocations), or, for a pass valid at any host, one per pass
    (no host can link two of them)."""
    runtime = runtime_of(session)
    tag = (f"host|{host}|{member_id}" if host is not None else f"any|{pass_id.hex()}")
    return hmac.new(_secret(session, runtime.signing_key()), b"coworknet/pass/" + tag.encode(),
                    hashlib.sha256).digest()[:10]


def subject_text(raw: bytes) -> str:
    return base64.b32encode(raw).decode("ascii").lower()


def hosts_for(session: Session, today: date) -> list[str]:
    return agreement_peers(session, today)


def current(session: Session, member: Member, now: datetime) -> IssuedPass | None:
    """The member's latest pass still usable for a while (None: a new one is due)."""
    row = session.scalar(select(IssuedPass).where(
        IssuedPass.member_id == member.id, IssuedPass.revoked.is_(False))
        .order_by(IssuedPass.issued_at.desc(), IssuedPass.id.desc()).limit(1))
    if row is None or row.expires_at - now < RENEW_BEFORE:
        return None
    return row


def latest_choices(session: Session, member: Member) -> tuple[str | None, bool, bool]:
    row = session.scalar(select(IssuedPass).where(IssuedPass.member_id == member.id)
                         .order_by(IssuedPass.id.desc()).limit(1))
    return (row.host, row.show_name, row.photo) if row is not None else (None, False, False)


def issue(session: Session, member: Member, now: datetime, *, host: str | None = None,
          show_name: bool = False, photo: bool = False) -> IssuedPass:
    """Sign a new pass for ``member`` with the choices given."""
    if not member.is_active:
        raise Forbidden(N_("Only active members get a network pass."))
    hosts = hosts_for(session, now.date())
    if not hosts:
        raise Conflict(N_("Your space has no visiting agreement in force yet."), code="no_agreement")
    if host is not None and host not in hosts:
        raise ValidationError(N_("Choose a space your space has an agreement with."),
                              fields={"host": ["no_agreement"]})
    runtime = runtime_of(session)
    pass_id = token.new_pass_id()
    subject = subject_for(session, member.id, host, pass_id)
    issued, expires = now, now + VALIDITY
    code = token.encode(key=runtime.signing_key(), issuer=runtime.node_id, host=host,
                        subject=subject, issued=int(issued.timestamp()),
                        expires=int(expires.timestamp()),
                        name=member.display_name if show_name else None, photo=photo,
                        pass_id=pass_id)
    row = IssuedPass(pass_id=pass_id.hex(), member_id=member.id, host=host,
                     subject=subject_text(subject), show_name=show_name, photo=photo, code=code,
                     issued_at=issued, expires_at=expires, revoked=False)
    session.add(row)
    session.flush()
    return row


def my_pass(session: Session, member: Member, now: datetime) -> IssuedPass:
    """The member's pass, renewed automatically with their last choices when it nears its end
    (or when the host it was made for has no agreement any more)."""
    row = current(session, member, now)
    hosts = hosts_for(session, now.date())
    if row is not None and (row.host is None or row.host in hosts) and hosts:
        return row
    host, show_name, photo = latest_choices(session, member)
    return issue(session, member, now, host=host if host in hosts else None,
                 show_name=show_name, photo=photo)


def unexpired(session: Session, member_id: int, now: datetime) -> list[IssuedPass]:
    return list(session.scalars(select(IssuedPass).where(
        IssuedPass.member_id == member_id, IssuedPass.expires_at > now)))
