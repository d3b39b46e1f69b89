"""Every kind of notification: who gets it, how by default, and its words (English message ids,
translated in ``node/translations/notifications``; a test fails on a kind without French).

Values named in a text come from the notification's params; a param ending in ``_at`` is an
ISO 8601 moment, shown in the reader's language and the param ``tz`` (default: the node's).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import N_

#: Delivery channels a member chooses per kind.
MAIL = "mail"  # in the portal and by mail at once
PORTAL = "portal"  # only in the portal
DIGEST = "digest"  # in the portal, and listed in the weekly digest
CHANNELS = (MAIL, PORTAL, DIGEST)

MEMBER = "member"
MANAGER = "manager"


@dataclass(frozen=True)
class Kind:
    name: str
    audience: str
    #: One line: the notification's text in the list and the mail's subject.
    title: str
    #: The mail's body before the link (a sentence or two); the link follows.
    body: str
    #: What to do, as the link's label.
    action: str
    #: The kind on the preferences page ("When …").
    label: str
    default: str = MAIL


KINDS: dict[str, Kind] = {kind.name: kind for kind in (
    Kind("introduction.received", MEMBER,
         N_("%(name)s (%(space)s) asks you for an introduction"),
         N_("%(name)s (%(space)s), a member of another space of the network, would like to "
            "meet you about “%(skill)s”. Your name stays hidden until you accept."),
         N_("Accept or decline"),
         N_("Someone of the network asks me for an introduction")),
    Kind("introduction.accepted", MEMBER,
         N_("%(name)s accepted your introduction request"),
         N_("%(name)s (%(space)s) accepted to be introduced: their contact is on your "
            "introductions page."),
         N_("See their contact"),
         N_("Someone accepts my introduction request")),
    Kind("account.approved", MEMBER,
         N_("Your account at %(space)s is approved"),
         N_("Welcome! You can now sign in, fill in your profile and find the other members."),
         N_("Sign in"),
         N_("My account is approved")),
    Kind("account.signup_attempt", MEMBER,
         N_("Someone tried to create an account at %(space)s with your address"),
         N_("Someone tried to create an account at %(space)s with this e-mail address, which "
            "already has one. If it was you, sign in, or reset your password if you forgot it. "
            "If it was not you, you can ignore this message: nothing changed."),
         N_("Sign in or reset my password"),
         N_("Someone tries to create an account with my address")),
    Kind("registration.confirmed", MEMBER,
         N_("You are registered for %(title)s"),
         N_("Your seat is confirmed for %(title)s, %(starts_at)s. The calendar file is attached."),
         N_("See the event"),
         N_("I register for an event (confirmation)")),
    Kind("registration.waitlisted", MEMBER,
         N_("You are on the waitlist for %(title)s"),
         N_("The event %(title)s (%(starts_at)s) is full: you are on the waitlist and will be "
            "told if a seat is freed."),
         N_("See the event"),
         N_("I am put on an event's waitlist"), default=PORTAL),
    Kind("registration.offered", MEMBER,
         N_("A seat is free for you at %(title)s"),
         N_("A seat was freed for %(title)s (%(starts_at)s): confirm it before "
            "%(deadline_at)s."),
         N_("Confirm my seat"),
         N_("A seat is freed for me"), default=PORTAL),  # the seat-offer mail is sent already
    Kind("event.reminder", MEMBER,
         N_("Reminder: %(title)s, %(starts_at)s"),
         N_("You are registered for %(title)s, %(starts_at)s. If you cannot come, cancel "
            "your registration so that someone else takes the seat."),
         N_("See the event"),
         N_("The day before an event I registered for")),
    Kind("event.cancelled", MEMBER,
         N_("%(title)s is cancelled"),
         N_("The event %(title)s planned %(starts_at)s is cancelled."),
         N_("See the event"),
         N_("An event I registered for is cancelled"), default=PORTAL),  # the cancellation mail is sent already
    Kind("workshop.proposed", MANAGER,
         N_("%(name)s proposes a workshop: %(title)s"),
         N_("A member proposes a workshop. Approve it, ask for changes or decline it."),
         N_("Review the proposal"),
         N_("A member proposes a workshop")),
    Kind("workshop.decided", MEMBER,
         N_("Your workshop proposal %(title)s: %(decision)s"),
         N_("The community manager answered your proposal %(title)s: %(decision)s."),
         N_("See my proposal"),
         N_("My workshop proposal is answered")),
    Kind("signup.waiting", MANAGER,
         N_("%(name)s asks to join the space"),
         N_("A new account waits for your approval."),
         N_("Approve or refuse"),
         N_("Someone asks to join the space")),
    Kind("peering.requested", MANAGER,
         N_("%(space)s asks to peer with your space"),
         N_("Another space of the network asks to join yours (shared directory, joint events)."),
         N_("Review the request"),
         N_("A space asks to peer with ours")),
    Kind("need.answered", MEMBER,
         N_("%(name)s answered your need"),
         N_("Someone answered your need “%(need)s”."),
         N_("See the answer"),
         N_("Someone answers my need")),
    Kind("candidate.proposed", MEMBER,
         N_("You are proposed for a request: “%(text)s”"),
         N_("The community manager thinks you can help. Nothing about you is shared before you "
            "say yes."),
         N_("Answer"),
         N_("The community manager proposes me for a request")),
    Kind("connector.escalated", MANAGER,
         N_("%(space)s asks the network for help: “%(text)s”"),
         N_("Another space of the network looks for someone among your members. Propose a "
            "member who agrees to be put in touch."),
         N_("Open the request"),
         N_("Another space asks our members for help")),
    Kind("registration.undelivered", MEMBER,
         N_("Your registration for %(title)s could not reach %(space)s"),
         N_("%(space)s, which hosts %(title)s (%(starts_at)s), could not be reached before "
            "the session started: you are not registered."),
         N_("See my registrations"),
         N_("My registration or cancellation could not reach the space that hosts it")),
    Kind("cancellation.undelivered", MEMBER,
         N_("Your cancellation for %(title)s could not reach %(space)s"),
         N_("%(space)s, which hosts %(title)s (%(starts_at)s), could not be reached before "
            "the session started: it may still hold a seat for you."),
         N_("See my registrations"),
         N_("My cancellation could not reach the space that hosts the session")),
    Kind("introduction.undelivered", MEMBER,
         N_("Your introduction request could not reach %(space)s"),
         N_("%(space)s could not be reached for several days: your introduction request was "
            "not delivered. You can send it again later."),
         N_("See my introductions"),
         N_("My introduction request could not reach the other space")),
    Kind("delivery.undeliverable", MANAGER,
         N_("A message to %(space)s could not be delivered"),
         N_("A message (%(type)s) to %(space)s could not be delivered: %(reason)s. You can "
            "send it again from the peers page."),
         N_("Open the peers page"),
         N_("A message to another space could not be delivered")),
    Kind("network.answered", MEMBER,
         N_("%(name)s (%(space)s) can help with your need"),
         N_("%(name)s, member of %(space)s, agreed to be put in touch about your need "
            "“%(text)s”. Write to them: %(email)s"),
         N_("See my need"),
         N_("Someone of another space answers my need")),
)}


def kind(name: str) -> Kind:
    return KINDS[name]


def kinds_for(is_manager: bool) -> list[Kind]:
    """The kinds a member may receive (a manager also gets the managers' kinds)."""
    return [k for k in KINDS.values() if k.audience == MEMBER or is_manager]
