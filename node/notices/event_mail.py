"""Mails about events, written in the recipient's language and the event's time zone.

Called after the transaction committed, so nobody is told about a change that was rolled back."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from babel import Locale
from babel.dates import format_datetime
from flask import current_app
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from ..events import guests, recurrence
from ..events.models import Registration
from ..events.registrations import is_mailed_here
from ..mail import Mail, MailSender
from ..members.models import Member

logger = logging.getLogger(__name__)


def _locale(session: Session, registration: Registration, default: str) -> str:
    member = session.get(Member, registration.member_id) if registration.member_id else None
    return (member.locale if member is not None and member.locale else None) or default


def format_local(moment, tz_name: str) -> str:
    """``jeudi 3 décembre 2026 à 18:30``: a moment in the event's zone, in the current locale."""
    return _format_local(moment, tz_name, get_locale())


@lru_cache(maxsize=4096)
def _format_local(moment: datetime, tz_name: str, locale: Locale) -> str:
    """Babel's formatting of a moment is pure and costs more than the rest of an agenda line:
    the dates an agenda shows, request after request, are formatted once per language (the
    pattern is translated in ``locale``, the current one, when a moment is first formatted)."""
    return format_datetime(moment.astimezone(recurrence.zone(tz_name)), _("EEEE d MMMM y 'at' HH:mm"),
                           locale=locale)


def _mail_registrants(session: Session, sender: MailSender, registrations: Iterable[Registration],
                      default_locale: str, compose) -> int:
    """Mail each of our own registrants ``compose(registration) -> (subject, body)``, written
    in their language; returns how many were mailed."""
    sent = 0
    for registration in registrations:
        if not is_mailed_here(session, registration):
            continue
        with force_locale(_locale(session, registration, default_locale)):
            subject, body = compose(registration)
            sender.send(Mail(to=registration.email, subject=subject, body=body))
        sent += 1
    return sent


def _when(registration: Registration) -> str:
    return format_local(registration.occurrence.start_at, registration.event.timezone)


def _occurrence_link(base_url: str, registration: Registration) -> str:
    """Where the registrant acts: the event page, or for a guest (no account) their own link."""
    if registration.registrant_kind == "guest":
        return guest_link(base_url, registration)
    return f"{base_url.rstrip('/')}/events/{registration.event.id}#occurrence-{registration.occurrence.id}"


def guest_link(base_url: str, registration: Registration) -> str:
    """A guest's link to their registration (see, confirm an offered seat, cancel)."""
    token = guests.manage_token(current_app.config["SECRET_KEY"], registration)
    return f"{base_url.rstrip('/')}/events/guest/{token}"


def send_guest_confirmation(sender: MailSender, *, to: str, name: str, title: str, when: str, link: str,
                            hours: int, locale: str) -> None:
    """The link that confirms a registration without an account (nothing is held before)."""
    with force_locale(locale):
        sender.send(Mail(
            to=to, subject=_("Confirm your registration: %(title)s", title=title),
            body=_("Hello %(name)s,\n\nTo register for « %(title)s » on %(when)s, confirm here "
                   "(the link is valid for %(hours)s hours; no seat is held until you confirm):\n"
                   "%(link)s\n\nIf you did not ask for this, ignore this message: nothing is kept.\n",
                   name=name, title=title, when=when, link=link, hours=hours)))


def send_guest_registered(sender: MailSender, registration: Registration, *,
                          base_url: str, locale: str) -> None:
    """A guest's registration is confirmed (or waitlisted): their link to see or cancel it."""
    event = registration.event
    with force_locale(locale):
        if registration.status == "waitlisted":
            subject = _("On the waitlist: %(title)s", title=event.title)
            first = _("The event is full: you are on the waitlist. We will write to you if a seat frees up.")
        else:
            subject = _("You are registered: %(title)s", title=event.title)
            first = _("Your seat is booked.")
        sender.send(Mail(
            to=registration.email, subject=subject,
            body=_("Hello %(name)s,\n\n« %(title)s », %(when)s.\n%(first)s\n\n"
                   "To see or cancel your registration:\n%(link)s\n\n"
                   "Your name and e-mail address are erased %(days)s days after the event.\n",
                   name=registration.display_name, title=event.title, when=_when(registration),
                   first=first, link=guest_link(base_url, registration),
                   days=current_app.config["EVENT_GUEST_RETENTION_DAYS"])))


def notify_offers(session: Session, sender: MailSender, offers: Iterable[Registration], *,
                  base_url: str, default_locale: str = "fr") -> int:
    """Tell each waitlisted person a seat is theirs if they confirm before the deadline."""

    def compose(registration: Registration) -> tuple[str, str]:
        event = registration.event
        return (
            _("A seat is free for you: %(title)s", title=event.title),
            _("Hello %(name)s,\n\nA seat freed up for « %(title)s » on %(when)s.\n"
              "It is yours if you confirm before %(deadline)s:\n%(link)s\n\n"
              "After that, the seat goes to the next person on the waitlist.\n",
              name=registration.display_name, title=event.title, when=_when(registration),
              deadline=format_local(registration.offer_expires_at, event.timezone),
              link=_occurrence_link(base_url, registration)),
        )

    sent = _mail_registrants(session, sender, offers, default_locale, compose)
    logger.info("%d seat offer(s) mailed", sent)
    return sent


def notify_cancelled(session: Session, sender: MailSender, registrations: Iterable[Registration], *,
                     base_url: str, default_locale: str = "fr", reason: str = "") -> None:
    """Tell the people registered that the event is cancelled, with the organiser's reason
    when one was given."""

    def compose(registration: Registration) -> tuple[str, str]:
        return _compose_cancelled(registration.display_name, registration.event.title, _when(registration),
                                  f"{base_url.rstrip('/')}/events/{registration.event.id}", reason)

    _mail_registrants(session, sender, registrations, default_locale, compose)


def notify_moved(session: Session, sender: MailSender, registrations: Iterable[Registration], *,
                 base_url: str, default_locale: str = "fr") -> None:
    """Tell the people registered for a date its new time (their seat or place is kept)."""

    def compose(registration: Registration) -> tuple[str, str]:
        event = registration.event
        return (
            _("New time: %(title)s", title=event.title),
            _("Hello %(name)s,\n\n« %(title)s » now takes place on %(when)s.\n"
              "Your registration is kept; cancel it on the event page if the new time "
              "does not suit you:\n%(link)s\n",
              name=registration.display_name, title=event.title, when=_when(registration),
              link=_occurrence_link(base_url, registration)),
        )

    _mail_registrants(session, sender, registrations, default_locale, compose)


def _compose_cancelled(name: str, title: str, when: str, link: str, reason: str = "") -> tuple[str, str]:
    body = _("Hello %(name)s,\n\n« %(title)s » on %(when)s is cancelled.\n%(link)s\n",
             name=name, title=title, when=when, link=link)
    if reason:
        body += "\n" + _("The organisers' word:\n%(reason)s\n", reason=reason)
    return _("Cancelled: %(title)s", title=title), body


@dataclass(frozen=True)
class SessionNotice:
    """What one of our members registered for a session of a regional event is told about it.
    Plain values captured in the transaction that learnt the change (our copy of the session,
    or our own event, our own member's address and language), mailed after its commit.

    Kinds: ``moved``, ``cancelled``, ``promoted`` (a session hosted by another space), and
    ``cancelled_here`` (a session we host: the events area's usual cancellation mail)."""

    kind: str
    email: str
    name: str
    locale: str | None
    title: str
    space: str
    starts_at: datetime
    timezone: str
    place: str = ""
    link: str = ""
    before_starts_at: datetime | None = None

    @property
    def has_new_time(self) -> bool:
        return self.before_starts_at is not None and self.before_starts_at != self.starts_at


def _compose_notice(notice: SessionNotice, base_url: str) -> tuple[str, str]:
    when = format_local(notice.starts_at, notice.timezone)
    if notice.kind == "cancelled_here":
        return _compose_cancelled(notice.name, notice.title, when, f"{base_url.rstrip('/')}{notice.link}")
    if notice.kind == "promoted":
        return (_("You have a seat: %(title)s", title=notice.title),
                _("Hello %(name)s,\n\nA seat freed up for « %(title)s » on %(when)s at "
                  "%(space)s: it is yours.\n",
                  name=notice.name, title=notice.title, when=when, space=notice.space))
    if notice.kind == "cancelled":
        return (_("Cancelled: %(title)s", title=notice.title),
                _("Hello %(name)s,\n\n« %(title)s » on %(when)s at %(space)s is "
                  "cancelled.\n",
                  name=notice.name, title=notice.title, when=when, space=notice.space))
    subject = (_("New time: %(title)s", title=notice.title) if notice.has_new_time
               else _("New room: %(title)s", title=notice.title))
    before = format_local(notice.before_starts_at or notice.starts_at, notice.timezone)
    return (subject,
            _("Hello %(name)s,\n\n« %(title)s » at %(space)s changed: it now takes place on "
              "%(when)s, %(place)s (it was planned on %(before)s).\n"
              "Your registration is kept; cancel it from the program if the change does not "
              "suit you:\n%(link)s\n",
              name=notice.name, title=notice.title, space=notice.space, when=when,
              place=notice.place, before=before, link=f"{base_url.rstrip('/')}{notice.link}"))


def notify_sessions(sender: MailSender, notices: Iterable[SessionNotice], *,
                    base_url: str, default_locale: str = "fr") -> int:
    """Mail our members about regional sessions they registered for (at another space: a new
    time or room, a cancellation, a seat from the waitlist; here: a cancellation), each in
    their language; returns how many."""
    sent = 0
    for notice in notices:
        with force_locale(notice.locale or default_locale):
            subject, body = _compose_notice(notice, base_url)
        sender.send(Mail(to=notice.email, subject=subject, body=body))
        sent += 1
    if sent:
        logger.info("%d mail(s) about regional sessions sent", sent)
    return sent
