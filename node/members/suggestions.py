"""Members worth meeting, for the home page: those whose skills are related to a member's
(next to them in the thesaurus: related, broader or narrower concepts), then those holding the
same skills, and those who just joined. A fixed number of queries, whatever the space's size."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..orm import among
from .models import Member, MemberSkill, MemberStatus
from .thesaurus import get_thesaurus

#: How long a member counts as new.
NEW_FOR = timedelta(days=30)


@dataclass(frozen=True)
class PersonToMeet:
    member: Member
    #: "related" (skills next to mine), "same" (skills I have too) or "new" (just joined).
    reason: str
    concept_ids: tuple[str, ...] = ()


def near_concepts(concept_ids: set[str]) -> set[str]:
    """Concepts next to ``concept_ids`` in the thesaurus (related, broader, narrower), the
    given ones left out."""
    thesaurus = get_thesaurus()
    near: set[str] = set()
    for concept_id in concept_ids:
        near.update(thesaurus.related(concept_id))
        near.update(thesaurus.narrower(concept_id))
        if broader := thesaurus.broader(concept_id):
            near.add(broader)
    return near - concept_ids


def newcomers(session: Session, member: Member | None, now: datetime, *, limit: int = 4,
              leave_out: list[int] | None = None) -> list[int]:
    """Ids of the active members who joined lately (not ``member``), newest first."""
    ids = [*(leave_out or []), member.id if member is not None else 0]
    return list(session.scalars(
        select(Member.id).where(Member.status == MemberStatus.ACTIVE, Member.id.not_in(ids),
                                Member.created_at >= now - NEW_FOR)
        .order_by(Member.created_at.desc(), Member.id.desc()).limit(limit)))


def people_to_meet(session: Session, member: Member, now: datetime, *, limit: int = 4) -> list[PersonToMeet]:
    """Up to ``limit`` active members for ``member`` to meet, related skills first, then
    shared skills, then newcomers; each once, with why."""
    mine = {skill.concept_id for skill in member.skills if skill.concept_id}
    near = near_concepts(mine)
    matches: dict[int, dict[str, set[str]]] = {}
    if mine or near:
        rows = session.execute(
            select(MemberSkill.member_id, MemberSkill.concept_id).join(Member, Member.id == MemberSkill.member_id)
            .where(among(MemberSkill.concept_id, mine | near), Member.status == MemberStatus.ACTIVE,
                   Member.id != member.id)).all()
        for member_id, concept_id in rows:
            kind = "related" if concept_id in near else "same"
            matches.setdefault(member_id, {"related": set(), "same": set()})[kind].add(concept_id)
    ranked = sorted(matches, key=lambda mid: (-len(matches[mid]["related"]), -len(matches[mid]["same"]), mid))
    picked = ranked[:limit]
    joined = newcomers(session, member, now, limit=limit, leave_out=picked)
    # Newcomers take at least one place when there are any: a welcome matters as much.
    if joined and len(picked) >= limit:
        picked = picked[:limit - 1]
    chosen = picked + joined[:limit - len(picked)]
    if not chosen:
        return []
    people = {m.id: m for m in session.scalars(select(Member).where(among(Member.id, chosen)))}
    result = []
    for member_id in chosen:
        found = matches.get(member_id)
        if found and found["related"]:
            result.append(PersonToMeet(people[member_id], "related", tuple(sorted(found["related"]))))
        elif found:
            result.append(PersonToMeet(people[member_id], "same", tuple(sorted(found["same"]))))
        else:
            result.append(PersonToMeet(people[member_id], "new"))
    return result
