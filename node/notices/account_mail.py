"""Mails people receive, written in their language."""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _

from ..mail import Mail, MailSender


def send_invitation(sender: MailSender, *, to: str, space_name: str, link: str, locale: str) -> None:
    """Mail an invitation link."""
    with force_locale(locale):
        sender.send(
            Mail(
                to=to,
                subject=_("You are invited to join %(space)s on Coworknet", space=space_name),
                body=_(
                    "Hello,\n\nYou are invited to join the community of %(space)s.\n"
                    "Create your account here (the link works once):\n%(link)s\n",
                    space=space_name, link=link,
                ),
            )
        )


def send_password_reset(sender: MailSender, *, to: str, link: str, locale: str) -> None:
    """Mail a password reset link."""
    with force_locale(locale):
        sender.send(
            Mail(
                to=to,
                subject=_("Reset your Coworknet password"),
                body=_(
                    "Hello,\n\nSomeone asked to reset the password of this account.\n"
                    "If it was you, choose a new password here (valid for one hour):\n%(link)s\n\n"
                    "Otherwise you can ignore this message.\n",
                    link=link,
                ),
            )
        )


def send_signup_refused(sender: MailSender, *, to: str, name: str, space_name: str, locale: str) -> None:
    """Tell someone, politely and in their language, that their sign-up was not approved."""
    with force_locale(locale):
        sender.send(
            Mail(
                to=to,
                subject=_("Your sign-up request to %(space)s", space=space_name),
                body=_(
                    "Hello %(name)s,\n\nThank you for your interest in %(space)s. The community "
                    "manager could not approve your account this time, and your sign-up request "
                    "has been deleted with what it held.\n\nIf you think this is a mistake, "
                    "you are welcome to contact the space directly.\n\nKind regards,\n%(space)s\n",
                    name=name, space=space_name,
                ),
            )
        )


def send_account_erased(sender: MailSender, *, to: str, name: str, space_name: str, locale: str,
                        by_manager: bool) -> None:
    """Tell someone, in their language, that their account is deleted (by themselves, as a
    receipt, or by the community manager) and what went with it."""
    with force_locale(locale):
        who = (_("The community manager of %(space)s deleted your account.", space=space_name)
               if by_manager else _("Your account at %(space)s is deleted, as you asked.", space=space_name))
        sender.send(
            Mail(
                to=to,
                subject=_("Your account at %(space)s is deleted", space=space_name),
                body=_(
                    "Hello %(name)s,\n\n%(who)s Your profile, skills and registrations are deleted; "
                    "the seats you held went to the next people in line, and the other spaces of "
                    "the network are told to forget your directory entries and your network "
                    "passes.\n\nKind regards,\n%(space)s\n",
                    name=name, who=who, space=space_name,
                ),
            )
        )
