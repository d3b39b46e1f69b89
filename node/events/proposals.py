"""Member-led workshops: a member proposes, the manager approves, asks for changes or declines.

On approval the workshop becomes a published event hosted by the member."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..db import for_update
from ..errors import N_, Conflict, Forbidden, NotFound, ValidationError
from ..members.models import Member
from ..notifications.operations import notify, notify_managers
from . import recurrence
from .events import create_event, to_utc
from .models import WorkshopProposal

logger = logging.getLogger(__name__)

DECISIONS = ("approve", "request_changes", "decline")
OPEN = ("pending", "changes_requested")


def _times(data: dict, tz_name: str, now: datetime) -> tuple[datetime, datetime]:
    start_at, end_at = to_utc(data["start_at"], tz_name), to_utc(data["end_at"], tz_name)
    if end_at <= start_at:
        raise ValidationError(N_("Please check the highlighted fields."),
                              fields={"end_at": [N_("The end must be after the start.")]})
    if start_at < now:
        raise ValidationError(N_("Please check the highlighted fields."),
                              fields={"start_at": [N_("The event cannot start in the past.")]})
    return start_at, end_at


def propose_workshop(session: Session, member: Member, data: dict, now: datetime) -> WorkshopProposal:
    """Record a member's workshop proposal for the manager's queue."""
    tz_name = data.get("timezone", "Europe/Paris")
    recurrence.zone(tz_name)
    start_at, end_at = _times(data, tz_name, now)
    proposal = WorkshopProposal(
        member_id=member.id, title=data["title"], description=data.get("description", ""),
        type=data.get("type", "atelier"), proposed_start_at=start_at, proposed_end_at=end_at,
        timezone=tz_name, capacity=data.get("capacity"), message=data.get("message", ""),
        status="pending", manager_comment="",
    )
    session.add(proposal)
    session.flush()
    notify_managers(session, "workshop.proposed", link=f"/events/admin/proposals/{proposal.id}",
                    params={"name": member.display_name, "title": proposal.title}, now=now)
    logger.info("workshop proposal %s by member %s", proposal.id, member.id)
    return proposal


def get_proposal(session: Session, proposal_id: int, viewer: Member) -> WorkshopProposal:
    proposal = session.get(WorkshopProposal, proposal_id)
    if proposal is None or not (viewer.is_manager or proposal.member_id == viewer.id):
        raise NotFound(N_("No such proposal."))
    return proposal


def _locked(session: Session, proposal: WorkshopProposal) -> WorkshopProposal:
    """``proposal`` read again under its lock until the transaction ends: two decisions at once
    (two managers, a double submit) take turns, and the second sees the first's."""
    return session.scalar(for_update(session, select(WorkshopProposal).where(WorkshopProposal.id == proposal.id)))


def update_proposal(session: Session, member: Member, proposal: WorkshopProposal, data: dict,
                    now: datetime) -> WorkshopProposal:
    """The author revises a proposal (after the manager asked for changes); it is pending again."""
    proposal = _locked(session, proposal)
    if proposal.member_id != member.id:
        raise Forbidden(N_("Only the author can change this proposal."))
    if proposal.status not in OPEN:
        raise Conflict(N_("This proposal is already decided."), code="proposal_decided")
    tz_name = data.get("timezone", proposal.timezone)
    recurrence.zone(tz_name)
    proposal.proposed_start_at, proposal.proposed_end_at = _times(data, tz_name, now)
    for name in ("title", "description", "type", "capacity", "message"):
        if name in data:
            setattr(proposal, name, data[name])
    proposal.timezone = tz_name
    proposal.status = "pending"
    session.flush()
    return proposal


def decide_proposal(session: Session, manager: Member, proposal: WorkshopProposal, decision: str,
                    comment: str, now: datetime, *, audience: str = "space",
                    venue_id: int | None = None) -> WorkshopProposal:
    """Approve (a published event hosted by the member), ask for changes, or decline."""
    if not manager.is_manager:
        raise Forbidden(N_("Only a community manager can do this."))
    proposal = _locked(session, proposal)
    if proposal.status not in OPEN:
        raise Conflict(N_("This proposal is already decided."), code="proposal_decided")
    if decision == "request_changes" and not comment.strip():
        raise ValidationError(N_("Please check the highlighted fields."),
                              fields={"comment": [N_("Say what should change.")]})
    if decision == "approve":
        event = create_event(session, manager, {
            "title": proposal.title, "description": proposal.description, "type": proposal.type,
            "start_at": proposal.proposed_start_at, "end_at": proposal.proposed_end_at,
            "timezone": proposal.timezone, "capacity": proposal.capacity, "audience": audience,
            "venue_id": venue_id, "host_ids": [proposal.member_id], "status": "published",
        }, now)
        proposal.event_id = event.id
        proposal.status = "approved"
    else:
        proposal.status = "changes_requested" if decision == "request_changes" else "declined"
    proposal.manager_comment = comment.strip()
    proposal.decided_by_id = manager.id
    proposal.decided_at = now
    session.flush()
    notify(session, session.get(Member, proposal.member_id), "workshop.decided",
           link=f"/events/proposals/{proposal.id}",
           params={"title": proposal.title, "decision": decision,
                   "comment": proposal.manager_comment}, now=now)
    logger.info("workshop proposal %s: %s", proposal.id, proposal.status)
    return proposal


def count_open(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(WorkshopProposal)
                          .where(WorkshopProposal.status.in_(OPEN))) or 0


def list_proposals(session: Session, *, member: Member | None = None, open_only: bool = False) -> list[WorkshopProposal]:
    query = select(WorkshopProposal).order_by(WorkshopProposal.created_at.desc(), WorkshopProposal.id.desc())
    if member is not None:
        query = query.where(WorkshopProposal.member_id == member.id)
    if open_only:
        query = query.where(WorkshopProposal.status.in_(OPEN))
    return list(session.scalars(query))
