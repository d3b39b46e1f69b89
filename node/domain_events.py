"""What can happen on a node: the domain events that operations record (``node.uow.record``).

Each is named in the past tense and carries ids, not rows (they are stored as JSON until their
work is done). ``node/reactions.py`` says, in one table, what each one sets off after the
commit. Add an event here when an operation does something another part of the node must
follow up; add its reactions there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .uow import DomainEvent

# --- members and peers (the network directory follows them) ----------------------------------


@dataclass(frozen=True)
class MembersChanged(DomainEvent):
    """Members were created, or changed what the directory or the network may hold of them
    (status, sharing choice, name, headline, trade, skills, languages, availability)."""

    member_ids: frozenset[int] = field(default_factory=frozenset)


@dataclass(frozen=True)
class PeersChanged(DomainEvent):
    """A peer was approved, suspended or removed, or moved to another city or region (what our
    exports hold for each peer depends on it)."""


# --- the federation transport -----------------------------------------------------------------


@dataclass(frozen=True)
class FeedPublished(DomainEvent):
    """Items were appended to our feed for ``recipient`` (None: every approved peer)."""

    recipient: str | None = None


@dataclass(frozen=True)
class InboxMessageQueued(DomainEvent):
    """An inbox message was queued (outbox row ``row_id``) to be delivered right away."""

    row_id: int = 0


# --- events, registrations and joint events ---------------------------------------------------


@dataclass(frozen=True)
class EventChanged(DomainEvent):
    """An event or one of its dates was created, moved, resized or cancelled."""

    event_id: int = 0


@dataclass(frozen=True)
class RegistrationChanged(DomainEvent):
    """A registration was created or changed status. ``by_registrant``: the person did it
    themselves (a remote registrant then has the answer to their own request already)."""

    registration_id: int = 0
    event_id: int = 0
    by_registrant: bool = False


@dataclass(frozen=True)
class SeatsOffered(DomainEvent):
    """A waitlisted member of ours was offered a seat by someone else's cancellation (to be
    mailed; the views mail the offers their own requests make)."""

    registration_id: int = 0


@dataclass(frozen=True)
class RegionalEventCancelled(DomainEvent):
    """A joint event (Coworking Week) was cancelled by its organiser (here, or by its feed)."""

    object_id: str = ""


@dataclass(frozen=True)
class SessionNoticeQueued(DomainEvent):
    """A member must be told about a joint-event session (``node.notices.event_mail``)."""

    notice: dict = field(default_factory=dict)


# --- notifications ----------------------------------------------------------------------------


@dataclass(frozen=True)
class MailQueued(DomainEvent):
    """A mail was queued in the outbox (row ``mail_id``): send it now rather than at the next
    ``mail.send`` run."""

    mail_id: int = 0
