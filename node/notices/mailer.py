"""Notifications in words, and the mail outbox sent after the commit.

``render`` gives a notification's title, text and action label in a language; ``send_one``
sends one queued mail of the outbox (claimed first, so two processes never send it twice),
``send_due`` every mail that is due (the scheduler's ``mail.send`` job); the ``mail.send_now``
nudge sends a mail right after the commit that queued it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask
from flask_babel import force_locale, format_datetime, pgettext
from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update

from ..clock import clock_of
from ..domain_events import MailQueued
from ..events import recurrence
from ..mail import Attachment, Mail, MailSender
from ..notifications.kinds import KINDS
from ..notifications.models import MAIL_FAILED, MAIL_QUEUED, MAIL_SENT, Notification, OutgoingMail
from ..notifications.operations import unsubscribe_token
from ..notifications.queries import params_of
from ..uow import Reactions, WorkContext

logger = logging.getLogger(__name__)

#: A mail is tried this many times (about 17 hours with the backoff below), then shown failed.
MAX_ATTEMPTS = 12
BASE_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=2)
#: Words of some param values.
VALUE_WORDS = {  # a workshop proposal (feminine in French) is decided
    "decision": {"approve": lambda: pgettext("proposal", "approved"),
                 "request_changes": lambda: pgettext("proposal", "changes requested"),
                 "decline": lambda: pgettext("proposal", "declined")},
}


@dataclass(frozen=True)
class Words:
    title: str
    text: str
    action: str


def _values(params: dict, default_tz: str) -> dict:
    zone = recurrence.zone(params.get("tz") or default_tz)
    values = {}
    for name, value in params.items():
        if name.endswith("_at") and isinstance(value, str) and value:
            moment = datetime.fromisoformat(value).astimezone(zone)
            value = format_datetime(moment, _("EEEE d MMMM y 'at' HH:mm"), rebase=False)
        elif name in VALUE_WORDS and value in VALUE_WORDS[name]:
            value = VALUE_WORDS[name][value]()
        values[name] = value
    return values


def render(kind_name: str, params: dict, *, default_tz: str) -> Words:
    """The words of a notification in the current locale (call inside ``force_locale``)."""
    kind = KINDS[kind_name]
    values = _values(params, default_tz)
    text = _(kind.body, **values)
    if params.get("comment"):  # the manager's own words, as they wrote them
        text += f"\n\n« {params['comment']} »"
    return Words(_(kind.title, **values), text, _(kind.action))


def render_notification(notification: Notification, *, default_tz: str) -> Words:
    return render(notification.kind, params_of(notification), default_tz=default_tz)


def compose(app: Flask, mail: OutgoingMail, notification: Notification | None) -> Mail:
    """The mail of an outbox row, in its reader's language, with the link where they act and
    a one-click link that stops this kind of mail (a mail composed by its sender: as it is)."""
    if mail.subject is not None:
        return Mail(to=mail.to, subject=mail.subject, body=mail.body or "")
    config = app.config
    base = config["BASE_URL"].rstrip("/")
    params = params_of(notification) if notification is not None else {}
    link = base + (notification.link if notification is not None else "/notifications")
    stop = (f"{base}/notifications/stop/"
            f"{unsubscribe_token(config['SECRET_KEY'], mail.member_id, mail.kind)}"
            if mail.member_id else "")
    with app.app_context(), force_locale(mail.locale or config["DEFAULT_LOCALE"]):
        words = render(mail.kind, params, default_tz=config["DEFAULT_TIMEZONE"])
        everything = f"{base}/notifications"
        lines = [words.text, "", f"{words.action}: {link}", "", "—",
                 _("All your notifications: %(url)s", url=everything)]
        if stop:
            lines.append(_("Stop these mails: %(url)s", url=stop))
        subject = words.title
    headers = (("List-Unsubscribe", f"<{stop}>"),) if stop else ()
    attachments = ((Attachment("event.ics", "text/calendar; method=PUBLISH",
                               mail.ics.encode("utf-8")),) if mail.ics else ())
    return Mail(to=mail.to, subject=subject, body="\n".join(lines) + "\n",
                attachments=attachments, headers=headers)


def _claim(session, mail_id: int, now: datetime, *, fresh: bool) -> bool:
    """Take the mail for this attempt (one process only): its attempt is counted first.
    ``fresh``: the first attempt, right after its commit; otherwise only when due."""
    due = OutgoingMail.attempts == 0 if fresh else OutgoingMail.next_attempt_at <= now
    claimed = session.execute(
        update(OutgoingMail)
        .where(OutgoingMail.id == mail_id, OutgoingMail.status == MAIL_QUEUED, due)
        .values(attempts=OutgoingMail.attempts + 1,
                next_attempt_at=now + timedelta(minutes=10)))  # a crash mid-send: retried later
    session.commit()
    return bool(claimed.rowcount)


def send_one(app: Flask, mail_id: int, now: datetime, *, fresh: bool = False) -> bool:
    """Send one due mail (``fresh``: its first attempt, whenever it is due); True when sent.
    A failure is kept with its error and a backoff."""
    from ..db import EXTENSION_KEY

    factory = app.extensions[EXTENSION_KEY]
    with factory() as session:
        if not _claim(session, mail_id, now, fresh=fresh):
            return False
        mail = session.get(OutgoingMail, mail_id)
        notification = session.get(Notification, mail.notification_id) if mail.notification_id else None
        try:
            app.extensions[TRANSPORT_KEY].send(compose(app, mail, notification))
        except Exception as exc:  # the relay is down or refused: retried with backoff
            logger.warning("mail %s to %s not sent (attempt %d): %s", mail.id, mail.to,
                           mail.attempts, exc)
            mail.last_error = f"{type(exc).__name__}: {exc}"[:500]
            if mail.attempts >= MAX_ATTEMPTS:
                mail.status = MAIL_FAILED
            else:
                mail.next_attempt_at = now + min(MAX_BACKOFF, BASE_BACKOFF * 2 ** (mail.attempts - 1))
            session.commit()
            return False
        mail.status, mail.sent_at, mail.last_error = MAIL_SENT, now, None
        session.commit()
        return True


#: A sent or failed mail is kept this long (the managers' page), then deleted.
MAIL_RETENTION = timedelta(days=30)


def send_due(app: Flask, now: datetime, limit: int = 200) -> tuple[int, int]:
    """Send every queued mail that is due, and forget the mails done for more than
    ``MAIL_RETENTION``; returns (sent, not sent)."""
    from ..db import EXTENSION_KEY

    with app.extensions[EXTENSION_KEY]() as session:
        session.execute(delete(OutgoingMail).where(
            OutgoingMail.status != MAIL_QUEUED,
            func.coalesce(OutgoingMail.sent_at, OutgoingMail.created_at) < now - MAIL_RETENTION))
        session.commit()
        ids = list(session.scalars(select(OutgoingMail.id).where(
            OutgoingMail.status == MAIL_QUEUED, OutgoingMail.next_attempt_at <= now)
            .order_by(OutgoingMail.id).limit(limit)))
    sent = sum(send_one(app, mail_id, now) for mail_id in ids)
    return sent, len(ids) - sent


def send_now(events: list, ctx: WorkContext) -> None:
    """Nudge: send the mails just queued, right after the commit that queued them (a relay
    that is down answers at once; one that hangs is cut by the SMTP timeout); what fails waits
    for the ``mail.send`` job."""
    for domain_event in events:
        if isinstance(domain_event, MailQueued):
            send_one(ctx.app, domain_event.mail_id, ctx.now, fresh=True)


#: ``app.extensions`` keys: the transport (SMTP, file, console, memory) that really sends, and
#: the sender every other part of the node uses, which goes through the outbox.
TRANSPORT_KEY = "coworknet.mail.transport"
SENDER_KEY = "coworknet.mail"


class OutboxSender:
    """What the node's code sends mail with (``app.extensions["coworknet.mail"]``): each mail
    becomes an outbox row, committed at once, then sent; a relay that is down leaves it queued
    for the ``mail.send`` job, so it is sent once it is back (never twice, never lost).

    Notifications write their mail in the transaction of the change itself
    (``node.notifications.operations.notify``); the mails composed after a commit (seat offers,
    cancellations, the digest, account mails) come through here."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    @property
    def transport(self) -> MailSender:
        return self.app.extensions[TRANSPORT_KEY]

    @property
    def outbox(self) -> list:
        """The memory transport's list (development and tests)."""
        return self.transport.outbox

    def send(self, mail: Mail) -> None:
        from ..db import EXTENSION_KEY

        now = clock_of(self.app).now()
        with self.app.extensions[EXTENSION_KEY]() as session:
            row = OutgoingMail(to=mail.to, kind="mail", locale="", subject=mail.subject[:300],
                               body=mail.body, created_at=now, next_attempt_at=now)
            session.add(row)
            session.commit()
            row_id = row.id
        send_one(self.app, row_id, now, fresh=True)


def install(app: Flask, transport: MailSender) -> None:
    """The factory's one place for mail: the transport, and the outbox sender in front of it."""
    app.extensions[TRANSPORT_KEY] = transport
    app.extensions[SENDER_KEY] = OutboxSender(app)


def register_reactions(reactions: Reactions) -> None:
    reactions.nudge(MailQueued, "mail.send_now", send_now)
