"""The expert told of an introduction request that reached their node."""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from ..domain_events import IntroductionReceived
from ..mail import Mail, MailSender
from ..members.models import Member
from ..network.models import Introduction
from ..uow import Reactions, WorkContext


def mail_experts(session: Session, events: list, ctx: WorkContext) -> None:
    """Reaction to ``IntroductionReceived``: mail each expert asked, after the commit (a
    request that did not commit mails nobody); one who left or was suspended meanwhile is not."""
    sender = ctx.app.extensions["coworknet.mail"]
    with ctx.app.app_context():
        for domain_event in events:
            intro = session.get(Introduction, domain_event.introduction_id)
            expert = session.get(Member, intro.member_id) if intro is not None else None
            if expert is not None and intro.status == "pending" and expert.is_active:
                _mail_expert(sender, expert, intro)


def register_reactions(reactions: Reactions) -> None:
    reactions.on(IntroductionReceived, "introductions.mail_expert", mail_experts)


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
