"""The expert told of an introduction request that reached their node."""

from __future__ import annotations

from flask import current_app, has_app_context
from flask_babel import force_locale
from flask_babel import gettext as _

from ..models import Introduction, Member
from ..services.mail import Mail, MailSender


def notify_expert(expert: Member, intro: Introduction) -> None:
    """Mail the expert with the running app's sender; outside an app (a bare session) nobody is
    told. Installed by ``create_app`` (``introductions.set_expert_notifier``)."""
    if has_app_context():
        _mail_expert(current_app.extensions["coworknet.mail"], expert, intro)


def _mail_expert(sender: MailSender, expert: Member, intro: Introduction) -> None:
    """Mail the expert that someone asks for an introduction (no message content by mail)."""
    with force_locale(expert.locale or "fr"):
        sender.send(Mail(
            to=expert.email,
            subject=_("Introduction request from %(space)s", space=intro.other_space),
            body=_("Hello,\n\n%(name)s (%(space)s) asks for an introduction through the "
                   "Coworknet network. Accept or decline it in your portal, under Network.\n",
                   name=intro.other_name, space=intro.other_space),
        ))
