"""Small accessors views share: the space row, the password hasher, the mail sender."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from ..db import db
from ..models import Space
from ..services.accounts import LoginPolicy
from ..services.mail import MailSender
from ..services.passwords import Passwords


def space() -> Space:
    row = db.session.scalar(select(Space).limit(1))
    if row is None:
        config = current_app.config
        row = Space(
            name=config["NODE_NAME"], city=config["NODE_CITY"], region=config["NODE_REGION"],
            base_url=config["BASE_URL"], signup_mode=config["SIGNUP_MODE"], description="",
        )
    return row


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
