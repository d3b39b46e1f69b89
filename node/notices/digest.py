"""The weekly digest as a mail: its wording in the member's language, its links back to the
portal, and the weekly send (``digest.send`` job, ``coworknet digest send``). What goes in a
member's digest, the opt-out and the manager's switch are ``node.connector.digest``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, url_for
from flask_babel import force_locale, format_datetime
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from ..connector.digest import Digest, build_digest, opt_out_token, recipients
from ..connector.engagement import get_settings
from ..connector.models import Need
from ..mail import Mail, MailSender
from ..members.models import Member
from ..notifications.queries import digest_items
from ..orm import utcnow
from .mailer import render_notification

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DigestLinks:
    """How to link back to the portal; built by the caller, which knows the URLs."""

    need: Callable[[Need], str]
    event: Callable[[int], str]
    member: Callable[[Member], str]
    opt_out: Callable[[Member], str]
    board: str


def render_digest(digest: Digest, *, space_name: str, links: DigestLinks, locale: str,
                  notifications: list | None = None) -> Mail:
    """The digest as a plain-text mail, in the member's language; ``notifications`` are the
    unread ones of the kinds the member wants in the digest."""
    with force_locale(locale):
        parts = [_("Hello %(name)s,", name=digest.member.display_name), "",
                 _("Your week at %(space)s:", space=space_name), ""]
        if notifications:
            base = current_app.config["BASE_URL"].rstrip("/")
            tz = current_app.config["DEFAULT_TIMEZONE"]
            parts.append(_("What happened for you:"))
            parts += [f"- {render_notification(n, default_tz=tz).title}\n  {base}{n.link}"
                      for n in notifications]
            parts.append("")
        if digest.needs:
            parts.append(_("Needs that match your skills:"))
            parts += [f"- {n.text[:120]}\n  {links.need(n)}" for n in digest.needs]
            parts.append("")
        if digest.events:
            parts.append(_("Events for you:"))
            parts += [f"- {e.title} ({format_datetime(e.starts_at, 'short')})\n  {links.event(e.event_id)}"
                      for e in digest.events]
            parts.append("")
        if digest.people:
            parts.append(_("People you have not met yet:"))
            parts += [f"- {p.display_name}" + (f" — {p.headline}" if p.headline else "") + f"\n  {links.member(p)}"
                      for p in digest.people]
            parts.append("")
        parts.append(_("All open needs: %(url)s", url=links.board))
        parts += ["", _("Stop receiving this digest: %(url)s", url=links.opt_out(digest.member))]
        return Mail(to=digest.member.email, subject=_("Your week at %(space)s", space=space_name),
                    body="\n".join(parts) + "\n")


def digest_links() -> DigestLinks:
    """Absolute links for mails (needs a request context; the CLI makes one)."""
    secret = current_app.config["SECRET_KEY"]
    return DigestLinks(
        need=lambda n: url_for("connector.need", need_id=n.id, _external=True),
        event=lambda event_id: url_for("events.event_page", event_id=event_id, _external=True),
        member=lambda m: url_for("portal.member", member_id=m.id, _external=True),
        opt_out=lambda m: url_for("connector.digest_opt_out", token=opt_out_token(secret, m), _external=True),
        board=url_for("connector.needs_board", _external=True),
    )


def send_weekly(session: Session, sender: MailSender, *, space_name: str, links: DigestLinks,
                default_locale: str, now: datetime | None = None, force: bool = False) -> int:
    """Send the digest to every member who did not opt out; returns how many were sent.

    Nothing is sent when the manager turned it off, or (unless ``force``) when the last run
    is less than six days old, so a daily cron sends it weekly."""
    now = now or utcnow()
    settings = get_settings(session)
    if not settings.digest_enabled:
        return 0
    if not force and settings.last_digest_at and now - settings.last_digest_at < timedelta(days=6):
        return 0
    mails = []
    for member in recipients(session):
        digest = build_digest(session, member, now)
        told = digest_items(session, member, now - timedelta(days=7))
        if digest.is_empty and not told:
            continue
        mails.append(render_digest(digest, space_name=space_name, links=links,
                                   locale=member.locale or default_locale, notifications=told))
    settings.last_digest_at = now
    session.commit()  # recorded first: the mails leave after the commit, through the outbox
    for mail in mails:
        sender.send(mail)
    sent = len(mails)
    logger.info("weekly digest sent to %d members", sent)
    return sent
