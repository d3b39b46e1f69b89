"""Sign-in through an OpenID Connect provider, linked to local accounts.

Policy (docs/OPERATING.md, "Single sign-on"):

- A provider identity (issuer + ``sub``) once linked always signs in as the same member.
- The first time, it is linked by **verified** email only: to the existing account with that
  address, whatever its status (a pending account still waits for approval, a suspended one
  stays refused), or, when the space accepts sign-ups, to a new **pending** account that a
  manager approves like any sign-up. An unverified email links nothing and creates nothing.
- Sign-in itself is allowed only for an active member.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import N_, Forbidden
from ..members.models import Member, MemberStatus
from ..orm import utcnow
from .accounts import create_member, find_by_email, normalize_email
from .models import OidcIdentity
from .passwords import Passwords

logger = logging.getLogger(__name__)

MAX_NAME = 80


@dataclass(frozen=True)
class OidcOutcome:
    member: Member
    created: bool  # a new pending account was created for this identity
    linked: bool  # the identity was linked to an account now


def _display_name(claims: dict, email: str) -> str:
    name = str(claims.get("name") or claims.get("preferred_username") or "").strip()
    return (name or email.split("@")[0])[:MAX_NAME]


def resolve_identity(
    session: Session, passwords: Passwords, *, issuer: str, claims: dict, signup_mode: str
) -> OidcOutcome:
    """Find or link the member behind validated ID token claims (flushes; the caller commits).

    Raises ``Forbidden`` when nothing may be linked; the caller still decides whether the
    member (possibly pending or suspended) may sign in."""
    subject = str(claims.get("sub") or "")
    # authlib checked ``iss`` against the discovery document; it must also be the configured
    # issuer (a trailing slash is not a different provider).
    if not subject or str(claims.get("iss") or "").rstrip("/") != issuer.rstrip("/"):
        raise Forbidden(N_("The identity provider's answer is not valid."))
    identity = session.scalar(
        select(OidcIdentity).where(OidcIdentity.issuer == issuer, OidcIdentity.subject == subject)
    )
    created = linked = False
    if identity is not None:
        member = identity.member
    else:
        email = normalize_email(str(claims.get("email") or ""))
        if not email or claims.get("email_verified") is not True:
            raise Forbidden(N_("Your identity provider has not confirmed your email address."))
        member = find_by_email(session, email)
        if member is None:
            if signup_mode != "approval":
                raise Forbidden(N_("This space accepts new members by invitation only."))
            member = create_member(session, passwords, email=email, password=None,
                                   display_name=_display_name(claims, email), status=MemberStatus.PENDING)
            created = True
        identity = OidcIdentity(issuer=issuer, subject=subject, member_id=member.id)
        session.add(identity)
        linked = True
        logger.info("OIDC identity linked to member %s (new account: %s)", member.id, created)
    if member.is_active:
        identity.last_login_at = utcnow()
        member.last_login_at = identity.last_login_at
    session.flush()
    return OidcOutcome(member=member, created=created, linked=linked)


def check_may_sign_in(member: Member) -> None:
    """Refuse pending and suspended members, with the same words as the password login."""
    if member.status == MemberStatus.PENDING:
        raise Forbidden(N_("Your account is waiting for the community manager's approval."))
    if member.status == MemberStatus.SUSPENDED:
        raise Forbidden(N_("Your account is suspended. Please contact your community manager."))
