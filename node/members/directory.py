"""The space's own directory: find members by skill, trade, language or free text."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, selectinload

from .models import Member, MemberLanguage, MemberSkill, MemberStatus
from .thesaurus import get_thesaurus


@dataclass(frozen=True)
class DirectoryQuery:
    text: str = ""
    trade_id: str | None = None
    language: str | None = None
    open_to_help: bool = False
    open_to_paid: bool = False
    open_to_barter: bool = False
    limit: int = 50
    offset: int = 0


def _like_escape(key: str) -> str:
    return key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_members(session: Session, query: DirectoryQuery) -> tuple[list[Member], int]:
    """Active members matching every criterion; skill concepts first, then by name."""
    statement = select(Member).where(Member.status == MemberStatus.ACTIVE)
    matched_concepts: set[str] = set()
    if query.text.strip():
        expansion = get_thesaurus().expand_query(query.text)
        matched_concepts = set(expansion.concept_ids)
        text_match = and_(
            *(Member.search_keys.like(f"% {_like_escape(k)}%", escape="\\") for k in expansion.keys)
        ) if expansion.keys else None
        alternatives = []
        if matched_concepts:
            alternatives.append(
                Member.id.in_(
                    select(MemberSkill.member_id).where(MemberSkill.concept_id.in_(matched_concepts))
                )
            )
        if text_match is not None:
            alternatives.append(text_match)
        if not alternatives:
            return [], 0
        statement = statement.where(or_(*alternatives))
    if query.trade_id:
        statement = statement.where(Member.trade_id == query.trade_id)
    if query.language:
        statement = statement.where(
            Member.id.in_(select(MemberLanguage.member_id).where(MemberLanguage.code == query.language))
        )
    for flag in ("open_to_help", "open_to_paid", "open_to_barter"):
        if getattr(query, flag):
            statement = statement.where(getattr(Member, flag).is_(True))
    members = list(
        session.scalars(
            statement.options(selectinload(Member.skills), selectinload(Member.languages))
        ).unique()
    )

    def rank(member: Member) -> tuple:
        hits = [s for s in member.skills if s.concept_id in matched_concepts]
        best = max((("debutant", "confirme", "expert").index(s.level) for s in hits), default=-1)
        return (-len(hits), -best, member.display_name.casefold())

    members.sort(key=rank)
    total = len(members)
    return members[query.offset : query.offset + query.limit], total
