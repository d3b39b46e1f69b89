"""Mails after a commit about joint-event sessions and seats (the reactions of ``node.reactions``
to ``SessionNoticeQueued`` and ``SeatsOffered``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ..domain_events import SeatsOffered, SessionNoticeQueued
from ..events.models import Registration
from ..uow import Reactions, WorkContext
from . import event_mail


def _notice(values: dict) -> event_mail.SessionNotice:
    values = dict(values)
    for name in ("starts_at", "before_starts_at"):
        if values.get(name):
            values[name] = datetime.fromisoformat(values[name])
    return event_mail.SessionNotice(**values)


def send_notices(session: Session, events: list, ctx: WorkContext) -> None:
    """Mail the members the committed notices are for (each in their language)."""
    notices = [_notice(e.notice) for e in events if isinstance(e, SessionNoticeQueued)]
    app = ctx.app
    with app.app_context():
        event_mail.notify_sessions(app.extensions["coworknet.mail"], notices,
                                   base_url=app.config["BASE_URL"],
                                   default_locale=app.config["DEFAULT_LOCALE"])


def mail_offers(session: Session, events: list, ctx: WorkContext) -> None:
    """Our own members offered a seat by a remote registrant's cancellation (still offered)."""
    ids = sorted({e.registration_id for e in events if isinstance(e, SeatsOffered)})
    offers = [r for r in (session.get(Registration, i) for i in ids)
              if r is not None and r.status == "offered"]
    if not offers:
        return
    app = ctx.app
    with app.app_context():
        event_mail.notify_offers(session, app.extensions["coworknet.mail"], offers,
                                 base_url=app.config["BASE_URL"],
                                 default_locale=app.config["DEFAULT_LOCALE"])


def register_reactions(reactions: Reactions) -> None:
    reactions.on(SessionNoticeQueued, "regional.notices", send_notices)
    reactions.on(SeatsOffered, "events.offer_mails", mail_offers)
