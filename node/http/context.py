"""Small accessors views share: the space row, the password hasher, the mail sender, the
node's clock and the settings a request reads (base URL, time zone, seat-offer delay)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app

from ..accounts.accounts import LoginPolicy
from ..accounts.models import Space
from ..accounts.passwords import Passwords
from ..accounts.spaces import current_space
from ..clock import current_clock
from ..db import db
from ..mail import MailSender


def space() -> Space:
    return current_space(db.session, current_app.config)


def passwords() -> Passwords:
    return current_app.extensions["coworknet.passwords"]


def mail_sender() -> MailSender:
    return current_app.extensions["coworknet.mail"]


def login_policy() -> LoginPolicy:
    config = current_app.config
    return LoginPolicy(
        max_failures=int(config["LOGIN_MAX_FAILURES"]),
        window_seconds=int(config["LOGIN_FAILURE_WINDOW_SECONDS"]),
        max_failures_per_ip=int(config["LOGIN_MAX_FAILURES_PER_IP"]),
    )


def current_app_config(name: str):
    return current_app.config[name]


# --- request-time settings ----------------------------------------------------------------------

def now() -> datetime:
    """The node's clock (pinned by tests), not the system's."""
    return current_clock().now()


def offer_ttl() -> timedelta:
    return timedelta(hours=float(current_app.config["EVENT_OFFER_TTL_HOURS"]))


def space_tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])


def base_url() -> str:
    return current_app.config["BASE_URL"]
