"""What a view sends after its commit, from the request's app: seat offers, cancellations and
new times of events (``notify_change``, ``notify_offers``) and of the regional sessions held
here (``notify_local_offers``, ``notify_local_cancelled``)."""

from __future__ import annotations

from flask import current_app

from ..db import db
from ..events import events
from ..events.models import Registration
from ..http import context
from ..http.context import base_url
from . import event_mail


def notify_offers(offers: list[Registration]) -> None:
    if offers:
        event_mail.notify_offers(db.session, context.mail_sender(), offers, base_url=base_url(),
                                 default_locale=current_app.config["DEFAULT_LOCALE"])


def notify_change(change: events.EventChange) -> None:
    """After the commit: seat offers, cancellation and new-time notices."""
    notify_offers(change.offers)
    if change.cancelled:
        event_mail.notify_cancelled(db.session, context.mail_sender(), change.cancelled, base_url=base_url(),
                                    default_locale=current_app.config["DEFAULT_LOCALE"])
    if change.moved:
        event_mail.notify_moved(db.session, context.mail_sender(), change.moved, base_url=base_url(),
                                default_locale=current_app.config["DEFAULT_LOCALE"])


def notify_local_offers(offers: list[Registration]) -> None:
    if offers:
        event_mail.notify_offers(db.session, context.mail_sender(), offers, base_url=base_url(),
                                 default_locale=current_app.config["DEFAULT_LOCALE"])


def notify_local_cancelled(told: list[Registration]) -> None:
    if told:
        event_mail.notify_cancelled(db.session, context.mail_sender(), told, base_url=base_url(),
                                    default_locale=current_app.config["DEFAULT_LOCALE"])
