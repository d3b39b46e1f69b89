"""The needs board: members post what they look for, others answer, the author closes it."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from ..errors import N_, Conflict, Forbidden, NotFound, ValidationError
from ..members.models import Member
from ..notifications.operations import notify
from ..orm import among, utcnow
from . import connector
from .connector import concepts_of, matching_members
from .models import Need, NeedAnswer

logger = logging.getLogger(__name__)


def create_need(session: Session, author: Member, *, text: str, budget: int | None = None,
                deadline: date | None = None, today: date | None = None) -> Need:
    """Post a need on the board; the connector queue gets an entry for it."""
    if deadline is not None and deadline < (today or utcnow().date()):
        raise ValidationError(N_("The deadline is in the past."),
                              fields={"deadline": [N_("The deadline is in the past.")]})
    need = Need(author=author, text=text, budget_cents=budget, deadline=deadline,
                concept_ids=concepts_of(text))
    session.add(need)
    session.flush()
    connector.enqueue_need(session, need)
    logger.info("need %s posted", need.id)
    return need


def get_need(session: Session, need_id: int) -> Need:
    need = session.get(Need, need_id)
    if need is None:
        raise NotFound(N_("No such need."))
    return need


def list_needs(session: Session, *, status: str | None = "open", limit: int = 100, offset: int = 0,
               with_answers: bool = True) -> list[Need]:
    """The board's needs, newest first, with their authors (and their answers and answerers,
    unless ``with_answers`` is False: a list that only names the needs)."""
    loads = [selectinload(Need.author)]
    if with_answers:
        loads.append(selectinload(Need.answers).selectinload(NeedAnswer.member))
    statement = select(Need).options(*loads)
    if status:
        statement = statement.where(Need.status == status)
    return list(session.scalars(
        statement.order_by(Need.created_at.desc(), Need.id.desc()).limit(limit).offset(offset)))


def answer_counts(session: Session, need_ids: Iterable[int]) -> dict[int, int]:
    """``{need id: number of answers}`` in one grouped query (a list shows the count, not the
    answers)."""
    ids = sorted(set(need_ids))
    if not ids:
        return {}
    rows = session.execute(select(NeedAnswer.need_id, func.count(NeedAnswer.id))
                           .where(among(NeedAnswer.need_id, ids)).group_by(NeedAnswer.need_id))
    return {need_id: int(count) for need_id, count in rows}


def answer_need(session: Session, need: Need, member: Member, message: str) -> NeedAnswer:
    """A member answers an open need (not their own)."""
    if need.status != "open":
        raise Conflict(N_("This need is closed."))
    if need.author_id == member.id:
        raise Forbidden(N_("You cannot answer your own need."))
    answer = NeedAnswer(need=need, member=member, message=message)
    session.add(answer)
    session.flush()
    notify(session, session.get(Member, need.author_id), "need.answered",
           link=f"/connector/needs/{need.id}#answer-{answer.id}",
           params={"name": member.display_name, "need": need.text[:80]})
    connector.note_response(session, need)
    return answer


def close_need(session: Session, need: Need, member: Member, outcome: str) -> Need:
    """The author (or a manager) closes the need with an outcome."""
    if need.author_id != member.id and not member.is_manager:
        raise Forbidden(N_("Only the author can close this need."))
    if need.status != "open":
        raise Conflict(N_("This need is already closed."))
    need.status, need.outcome, need.closed_at = "closed", outcome, utcnow()
    session.flush()
    connector.resolve_for_need(session, need)
    return need


def suggested_members(session: Session, need: Need, limit: int = 5) -> list[Member]:
    """Members whose skills match the need, the author and those who answered left out."""
    exclude = {need.author_id} | {a.member_id for a in need.answers}
    return matching_members(session, need.concept_ids, exclude=exclude, limit=limit)


def needs_for_skills(session: Session, member: Member, concept_ids: set[str], *, limit: int = 5,
                     recent: int = 200) -> list[tuple[Need, tuple[str, ...]]]:
    """Open needs of other members that name one of ``concept_ids`` and that ``member`` has not
    answered yet, newest first, each with the concepts it shares: among the ``recent`` latest
    open needs (four queries, whatever the board's size; only the needs shown are loaded whole)."""
    if not concept_ids:
        return []
    latest = session.execute(
        select(Need.id, Need.concept_ids).where(Need.status == "open", Need.author_id != member.id)
        .order_by(Need.created_at.desc(), Need.id.desc()).limit(recent)).all()
    matching = [(need_id, shared) for need_id, concepts in latest
                if (shared := tuple(sorted(set(concepts or ()) & concept_ids)))]
    if not matching:
        return []
    answered = set(session.scalars(select(NeedAnswer.need_id).where(
        NeedAnswer.member_id == member.id, among(NeedAnswer.need_id, [need_id for need_id, _ in matching]))))
    chosen = [(need_id, shared) for need_id, shared in matching if need_id not in answered][:limit]
    if not chosen:
        return []
    needs = {need.id: need for need in session.scalars(
        select(Need).where(among(Need.id, [need_id for need_id, _ in chosen])).options(selectinload(Need.author)))}
    return [(needs[need_id], shared) for need_id, shared in chosen]
