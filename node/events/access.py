"""Who may see and who may run an event (shared by events and registrations)."""

from __future__ import annotations

from ..members.models import Member
from .models import Event, EventStatus


def can_manage(event: Event, member: Member | None) -> bool:
    """The community manager and the event's hosts."""
    return member is not None and (member.is_manager or member.id in event.host_ids)


def can_view(event: Event, member: Member | None) -> bool:
    """Drafts: managers and hosts. Otherwise public events for anyone, the rest for members."""
    if event.status == EventStatus.DRAFT:
        return can_manage(event, member)
    return event.audience == "public" or member is not None
