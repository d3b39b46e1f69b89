"""Accounts: managers, invitations, sign-ups and approval, login throttling, resets, API tokens."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, joinedload

from ..domain_events import MembersChanged
from ..errors import N_, Conflict, Forbidden, NotFound, RateLimited, Unauthorized
from ..federation.keyring import RUNTIME_INFO_KEY
from ..federation.rate_limits import address_group
from ..members.models import Member, MemberStatus
from ..members.profiles import refresh_search_keys
from ..notifications.operations import notify, notify_managers
from ..orm import utcnow
from ..uow import record
from .models import ApiToken, Invitation, LoginFailure, PasswordReset, PrivacyConsent, Space
from .passwords import Passwords
from .tokens import new_token, token_hash

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int = 5
    window_seconds: int = 900
    max_failures_per_ip: int = 30


def normalize_email(email: str) -> str:
    return email.strip().lower()


def get_member(session: Session, member_id: int) -> Member:
    member = session.get(Member, member_id)
    if member is None:
        raise NotFound(N_("No such member."))
    return member


def find_by_email(session: Session, email: str) -> Member | None:
    return session.scalar(select(Member).where(Member.email == normalize_email(email)))


def _ensure_email_free(session: Session, email: str) -> None:
    if find_by_email(session, email) is not None:
        raise Conflict(N_("An account with this email already exists."), fields={"email": ["taken"]})


def space_name(session: Session) -> str:
    """The space's name (its row, or the node's name before ``coworknet init`` wrote it)."""
    space = session.scalar(select(Space).limit(1))
    if space is not None:
        return space.name
    runtime = session.info.get(RUNTIME_INFO_KEY)
    return runtime.name if runtime is not None else ""


def create_member(
    session: Session,
    passwords: Passwords,
    *,
    email: str,
    display_name: str,
    password: str | None,
    role: str = "member",
    status: str = MemberStatus.ACTIVE,
) -> Member:
    """Create an account (flushes; the caller commits)."""
    _ensure_email_free(session, email)
    member = Member(
        email=normalize_email(email),
        display_name=display_name.strip(),
        password_hash=passwords.hash(password) if password else None,
        role=role,
        status=status,
    )
    session.add(member)
    refresh_search_keys(member)
    session.flush()
    record(session, MembersChanged(frozenset({member.id})))
    if member.status == MemberStatus.PENDING:  # a sign-up (form or OpenID) waits for a manager
        notify_managers(session, "signup.waiting", link=f"/admin/members#member-{member.id}",
                        params={"name": member.display_name})
    logger.info("member %s created with role %s", member.id, role)
    return member


# -- invitations and sign-ups -------------------------------------------------------------


def list_members(session: Session, status: str | None = None) -> list[Member]:
    """The space's members, by status then name; only those of ``status`` when given."""
    query = select(Member).order_by(Member.status, Member.display_name)
    if status is not None:
        query = query.where(Member.status == status)
    return list(session.scalars(query))


def count_members(session: Session, status: str) -> int:
    return session.scalar(select(func.count()).select_from(Member).where(Member.status == status)) or 0


def count_active_members(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Member).where(Member.status == MemberStatus.ACTIVE))


def members_by_id(session: Session, member_ids) -> dict[int, Member]:
    ids = set(member_ids)
    return {m.id: m for m in session.scalars(select(Member).where(Member.id.in_(ids)))} if ids else {}


def list_open_invitations(session: Session) -> list[Invitation]:
    """Invitations not used yet, newest first."""
    return list(session.scalars(
        select(Invitation).where(Invitation.used_at.is_(None)).order_by(Invitation.created_at.desc())))


def active_managers(session: Session) -> list[Member]:
    return list(session.scalars(select(Member).where(Member.role == "manager", Member.status == MemberStatus.ACTIVE)))


def create_invitation(
    session: Session, *, created_by: Member, email: str | None, role: str, ttl_hours: int
) -> tuple[Invitation, str]:
    """Create a single-use invitation; returns it with the clear token for the link."""
    if email:
        _ensure_email_free(session, email)
    token = new_token()
    invitation = Invitation(
        token_hash=token_hash(token),
        email=normalize_email(email) if email else None,
        role=role,
        created_by_id=created_by.id,
        expires_at=utcnow() + timedelta(hours=ttl_hours),
    )
    session.add(invitation)
    session.flush()
    return invitation, token


def get_open_invitation(session: Session, token: str) -> Invitation:
    invitation = session.scalar(select(Invitation).where(Invitation.token_hash == token_hash(token)))
    if invitation is None or invitation.used_at is not None or invitation.expires_at < utcnow():
        raise NotFound(N_("This invitation link is invalid, expired or already used."))
    return invitation


def _check_notice_version(space: Space | None, read_version: int | None) -> int:
    """The version of the privacy notice a new account consents to: the one the person read
    (the form's), refused when the manager changed the notice meanwhile."""
    current = space.privacy_notice_version if space is not None else 0
    if read_version is not None and read_version != current:
        raise Conflict(N_("The privacy notice changed while you were reading it. Please read it "
                          "again."), fields={"accept_privacy": ["changed"]})
    return current


def record_consent(session: Session, member: Member, notice_version: int, now: datetime) -> PrivacyConsent:
    """Keep the member's consent to the privacy notice: its version and when (flushes)."""
    consent = PrivacyConsent(member_id=member.id, notice_version=notice_version, consented_at=now)
    session.add(consent)
    session.flush()
    return consent


def latest_consent(session: Session, member: Member) -> PrivacyConsent | None:
    return session.scalar(select(PrivacyConsent).where(PrivacyConsent.member_id == member.id)
                          .order_by(PrivacyConsent.consented_at.desc(), PrivacyConsent.id.desc()).limit(1))


def accept_invitation(
    session: Session, passwords: Passwords, token: str, *, email: str, display_name: str, password: str,
    notice_version: int | None = None, now: datetime | None = None,
) -> Member:
    """Create an active account from an invitation and burn the invitation; the person's
    consent to the privacy notice (the version they read) is kept with it."""
    invitation = get_open_invitation(session, token)
    if invitation.email and invitation.email != normalize_email(email):
        raise Forbidden(N_("This invitation was sent to another address."), fields={"email": ["mismatch"]})
    version = _check_notice_version(session.scalar(select(Space).limit(1)), notice_version)
    member = create_member(
        session, passwords, email=email, display_name=display_name, password=password,
        role=invitation.role, status=MemberStatus.ACTIVE,
    )
    record_consent(session, member, version, now or utcnow())
    # Burning the token in the same transaction as the account makes it single-use.
    invitation.used_at = utcnow()
    invitation.used_by_id = member.id
    session.flush()
    return member


def sign_up(
    session: Session, passwords: Passwords, *, signup_mode: str, email: str, display_name: str, password: str,
    notice_version: int | None = None, now: datetime | None = None,
) -> Member | None:
    """Self sign-up: the account waits for a manager's approval, with the person's consent to
    the privacy notice (the version they read, and when).

    An address that has an account already gets no second one, and the answer is the same as
    for a new address (None instead of the member, same work done: a password hashed, a mail
    queued): its owner is told by mail, at most once an hour, that someone tried."""
    if signup_mode != "approval":
        raise Forbidden(N_("This space accepts new members by invitation only."))
    now = now or utcnow()
    version = _check_notice_version(session.scalar(select(Space).limit(1)), notice_version)
    existing = find_by_email(session, email)
    if existing is not None:
        passwords.hash(password)  # as long as a new account takes: the time tells nothing either
        notify(session, existing, "account.signup_attempt", link="/login",
               params={"space": space_name(session)},
               dedupe_key=f"signup-attempt/{now:%Y-%m-%dT%H}", now=now)
        logger.info("sign-up attempt with the address of member %s", existing.id)
        return None
    member = create_member(
        session, passwords, email=email, display_name=display_name, password=password, status=MemberStatus.PENDING
    )
    record_consent(session, member, version, now)
    return member


def set_status(session: Session, actor: Member, member: Member, status: str) -> Member:
    """Approve, suspend or reactivate a member (manager only)."""
    if not actor.is_manager:
        raise Forbidden(N_("Only a community manager can do this."))
    if member.id == actor.id and status != MemberStatus.ACTIVE:
        raise Conflict(N_("You cannot suspend your own account."))
    if member.status != status:
        approved = member.status == MemberStatus.PENDING and status == MemberStatus.ACTIVE
        member.status = status
        if approved:
            notify(session, member, "account.approved", link="/login",
                   params={"space": space_name(session)})
        if status == MemberStatus.SUSPENDED:
            # Ends open sessions now; API tokens are checked against the status on each use.
            member.session_version += 1
        record(session, MembersChanged(frozenset({member.id})))
    session.flush()
    return member


@dataclass(frozen=True)
class RefusedSignup:
    """Whom to tell that their sign-up was refused (the account itself is gone)."""

    email: str
    display_name: str
    locale: str | None


def refuse_signup(session: Session, actor: Member, member: Member) -> RefusedSignup:
    """Refuse a sign-up waiting for approval (manager only): the account and what it held are
    deleted, so the address may sign up again later; returns whom to tell, by mail."""
    if not actor.is_manager:
        raise Forbidden(N_("Only a community manager can do this."))
    if member.status != MemberStatus.PENDING:
        raise Conflict(N_("Only a sign-up waiting for approval can be refused."))
    refused = RefusedSignup(member.email, member.display_name, member.locale)
    session.delete(member)
    session.flush()
    logger.info("a pending sign-up was refused")
    return refused


def require_erasable(session: Session, actor: Member, member: Member) -> None:
    """Refuse unless ``actor`` may erase ``member``'s account: the member themself or a
    manager, and never the space's last active manager."""
    if actor.id != member.id and not actor.is_manager:
        raise Forbidden(N_("Only a community manager can do this."))
    if member.role == "manager" and member.status == MemberStatus.ACTIVE:
        managers = session.scalar(select(func.count()).select_from(Member).where(
            Member.role == "manager", Member.status == MemberStatus.ACTIVE))
        if managers <= 1:
            raise Conflict(N_("The space must keep at least one active manager."))


def erase_member(session: Session, actor: Member, member: Member) -> None:
    """Erase an account (the member leaves, or a manager erases it): the member's row goes and
    with it, by the database's cascades, what it held; the rows that must outlive it to be
    withdrawn from the peers (directory exports, network passes) lose their member and the
    follow-ups of :class:`MembersChanged` publish the tombstones and revocations. The last
    active manager cannot be erased."""
    require_erasable(session, actor, member)
    record(session, MembersChanged(frozenset({member.id})))
    session.delete(member)
    session.flush()
    logger.info("an account was erased")


def set_role(session: Session, actor: Member, member: Member, role: str) -> Member:
    """Change a member's role (manager only; the last manager cannot step down; only an
    active member becomes a manager, never an account still waiting for approval)."""
    if not actor.is_manager:
        raise Forbidden(N_("Only a community manager can do this."))
    if role == "manager" and member.role != "manager" and member.status != MemberStatus.ACTIVE:
        raise Conflict(N_("Only an active member can become a manager: approve the account first."))
    if member.role == "manager" and role != "manager":
        managers = session.scalar(
            select(func.count()).select_from(Member).where(
                Member.role == "manager", Member.status == MemberStatus.ACTIVE
            )
        )
        if managers <= 1:
            raise Conflict(N_("The space must keep at least one active manager."))
    member.role = role
    member.session_version += 1
    session.flush()
    return member


# -- login ---------------------------------------------------------------------------------


def _recent_failures(session: Session, since: datetime, **criteria) -> int:
    query = select(func.count()).select_from(LoginFailure).where(LoginFailure.at >= since)
    for column, value in criteria.items():
        query = query.where(getattr(LoginFailure, column) == value)
    return session.scalar(query) or 0


def authenticate(
    session: Session, passwords: Passwords, policy: LoginPolicy, *, email: str, password: str, ip: str
) -> Member:
    """Check credentials under throttling; records failures (the caller commits either way).
    Failures are counted per account and per client address (an IPv6 client by its /64)."""
    email = normalize_email(email)
    ip = address_group(ip)
    now = utcnow()
    since = now - timedelta(seconds=policy.window_seconds)
    session.execute(delete(LoginFailure).where(LoginFailure.at < since))
    if (
        _recent_failures(session, since, email=email) >= policy.max_failures
        or _recent_failures(session, since, ip=ip) >= policy.max_failures_per_ip
    ):
        raise RateLimited(N_("Too many failed logins. Please wait a few minutes and try again."))
    member = find_by_email(session, email)
    if not passwords.verify(member.password_hash if member else None, password):
        session.add(LoginFailure(email=email, ip=ip, at=now))
        session.flush()
        raise Unauthorized(N_("Wrong email or password."))
    if member.status == MemberStatus.PENDING:
        raise Forbidden(N_("Your account is waiting for the community manager's approval."))
    if member.status == MemberStatus.SUSPENDED:
        raise Forbidden(N_("Your account is suspended. Please contact your community manager."))
    if passwords.needs_rehash(member.password_hash):
        member.password_hash = passwords.hash(password)
    session.execute(delete(LoginFailure).where(LoginFailure.email == email))
    member.last_login_at = now
    session.flush()
    return member


def change_password(session: Session, passwords: Passwords, member: Member, current: str, new: str) -> None:
    """Change a password after checking the current one; other sessions are logged out."""
    if not passwords.verify(member.password_hash, current):
        raise Forbidden(N_("The current password is wrong."), fields={"current_password": ["wrong"]})
    member.password_hash = passwords.hash(new)
    member.session_version += 1
    session.flush()


# -- password reset ------------------------------------------------------------------------


def request_password_reset(session: Session, email: str, ttl_minutes: int) -> tuple[Member, str] | None:
    """Create a reset token for an active account; ``None`` (and no hint) otherwise."""
    member = find_by_email(session, email)
    if member is None or member.status != MemberStatus.ACTIVE:
        return None
    token = new_token()
    session.add(
        PasswordReset(
            token_hash=token_hash(token),
            member_id=member.id,
            expires_at=utcnow() + timedelta(minutes=ttl_minutes),
        )
    )
    session.flush()
    return member, token


def reset_password(session: Session, passwords: Passwords, token: str, new_password: str) -> Member:
    """Set a new password from a reset token; the token and older sessions stop working."""
    reset = session.scalar(select(PasswordReset).where(PasswordReset.token_hash == token_hash(token)))
    if reset is None or reset.used_at is not None or reset.expires_at < utcnow():
        raise NotFound(N_("This reset link is invalid, expired or already used."))
    member = get_member(session, reset.member_id)
    member.password_hash = passwords.hash(new_password)
    member.session_version += 1
    reset.used_at = utcnow()
    session.flush()
    return member


# -- personal access tokens ----------------------------------------------------------------

API_TOKEN_PREFIX = "cwn_"  # noqa: S105 - a public prefix, not a secret


def create_api_token(session: Session, member: Member, name: str) -> tuple[ApiToken, str]:
    """Create a personal access token; the clear value is shown once."""
    clear = API_TOKEN_PREFIX + new_token()
    token = ApiToken(member_id=member.id, name=name.strip(), token_hash=token_hash(clear), prefix=clear[:10])
    session.add(token)
    session.flush()
    return token, clear


#: A token's last use is kept to this precision: a script calling every second does not write
#: its token's row on every call.
TOKEN_USE_PRECISION = timedelta(minutes=5)


def member_for_api_token(session: Session, clear: str) -> Member:
    """The active member behind a bearer token, or ``Unauthorized``. The token's last use is
    moved when it is older than :data:`TOKEN_USE_PRECISION` (left unflushed: the caller commits
    it when ``session.dirty``)."""
    token = session.scalar(select(ApiToken).options(joinedload(ApiToken.member))
                           .where(ApiToken.token_hash == token_hash(clear)))
    if token is None or token.revoked_at is not None or not token.member.is_active:
        raise Unauthorized(N_("Invalid or revoked API token."))
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at >= TOKEN_USE_PRECISION:
        token.last_used_at = now
    return token.member


def revoke_api_token(session: Session, member: Member, token_id: int) -> ApiToken:
    """Revoke one of the member's own tokens."""
    token = session.get(ApiToken, token_id)
    if token is None or token.member_id != member.id:
        raise NotFound(N_("No such token."))
    token.revoked_at = token.revoked_at or utcnow()
    session.flush()
    return token


def list_api_tokens(session: Session, member: Member) -> list[ApiToken]:
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.member_id == member.id).order_by(ApiToken.created_at.desc())
        )
    )
