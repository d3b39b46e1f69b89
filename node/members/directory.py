"""The space's own directory: find members by skill, trade, language or free text.

The same understanding of a query as the network search (:mod:`node.network.search`): the
thesaurus names the concepts a query means — misspelt words of five letters or more included —
and their related skills; the query's own words are matched as stems, and a misspelt word
("comptabel", "fotographe") is corrected against the words the space's profiles hold. Results
come in relevance order: people holding the skills asked for (best level first), then people
holding a related skill, then people whose profile holds the words — in their skills or trade
before their headline, their name or their bio.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, selectinload

from ..orm import among
from .models import Member, MemberLanguage, MemberSkill, MemberStatus
from .textnorm import search_keys
from .thesaurus import FUZZY_MIN_LENGTH, Thesaurus, get_thesaurus

#: A query word is corrected to a word of the profiles at this similarity (rapidfuzz ratio).
WORD_MIN_SCORE = 80
LEVEL_ORDER = ("debutant", "confirme", "expert")
#: What a listed profile shows (the portal's card, the API's profile), loaded for the whole list.
_PROFILE = (selectinload(Member.skills), selectinload(Member.languages), selectinload(Member.contacts))
#: What a directory card shows (name, headline, trade, skills): the skills only.
_CARD = (selectinload(Member.skills),)


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


def _space_words(session: Session) -> list[str]:
    """Every distinct search key of the active members (a space holds a few thousand)."""
    words: set[str] = set()
    for keys in session.scalars(select(Member.search_keys).where(Member.status == MemberStatus.ACTIVE)):
        words.update(keys.split())
    return sorted(words)


def _word_alternatives(session: Session, keys: frozenset[str]) -> list[set[str]]:
    """Per query key, the keys it may stand for: itself, and when no profile holds it, the
    closest word some profile holds (typo tolerance for words of 5+ letters)."""
    if not keys:
        return []
    words = _space_words(session)
    present = set(words)
    alternatives = []
    for key in sorted(keys):
        options = {key}
        if len(key) >= FUZZY_MIN_LENGTH - 1 and not any(w.startswith(key) for w in present):
            from rapidfuzz import fuzz, process  # imported lazily: only searches need it

            found = process.extractOne(key, words, scorer=fuzz.ratio, score_cutoff=WORD_MIN_SCORE)
            if found is not None:
                options.add(found[0])
        alternatives.append(options)
    return alternatives


def _field_keys(member: Member, thesaurus: Thesaurus) -> tuple[set[str], set[str]]:
    """A member's words in two tiers: skills and trade; headline, name and bio."""
    strong = []
    if member.trade_id and (trade := thesaurus.trade(member.trade_id)):
        strong += [trade.fr, trade.en]
    for skill in member.skills:
        strong.append(skill.label)
        if skill.concept_id and (concept := thesaurus.concept(skill.concept_id)):
            strong += [concept.fr, concept.en]
    weak = [member.headline, member.display_name, member.bio]
    return search_keys(" ".join(strong)), search_keys(" ".join(p for p in weak if p))


def _profiles(session: Session, member_ids: list[int], loads=_PROFILE) -> list[Member]:
    """The members of ``member_ids``, in that order, with what a profile shows (four statements
    whatever their number; two for cards)."""
    if not member_ids:
        return []
    found = {m.id: m for m in session.scalars(select(Member).where(among(Member.id, member_ids)).options(*loads))}
    return [found[member_id] for member_id in member_ids]


def _matches(word: str, keys: set[str]) -> bool:
    return any(key.startswith(word) for key in keys)


def search_members(session: Session, query: DirectoryQuery, thesaurus: Thesaurus | None = None, *,
                   cards: bool = False) -> tuple[list[Member], int]:
    """Active members matching every criterion, in relevance order (see the module), with their
    skills, languages and contacts loaded (``cards``: their skills only, what a card shows)."""
    thesaurus = thesaurus or get_thesaurus()
    loads = _CARD if cards else _PROFILE
    statement = select(Member).where(Member.status == MemberStatus.ACTIVE)
    concepts: set[str] = set()
    related: set[str] = set()
    near: set[str] = set()
    alternatives: list[set[str]] = []
    if query.text.strip():
        expansion = thesaurus.expand_query(query.text, typos=True)
        concepts = set(expansion.concept_ids)
        related = set(expansion.related_ids) - concepts
        near = set(expansion.near_ids) - concepts
        alternatives = _word_alternatives(session, expansion.keys)
        conditions = []
        if concepts or related:
            conditions.append(Member.id.in_(
                select(MemberSkill.member_id).where(among(MemberSkill.concept_id, concepts | related))))
        if alternatives:
            conditions.append(and_(*(
                or_(*(Member.search_keys.like(f"% {_like_escape(k)}%", escape="\\") for k in options))
                for options in alternatives)))
        if not conditions:
            return [], 0
        statement = statement.where(or_(*conditions))
    if query.trade_id:
        statement = statement.where(Member.trade_id == query.trade_id)
    if query.language:
        statement = statement.where(
            Member.id.in_(select(MemberLanguage.member_id).where(MemberLanguage.code == query.language))
        )
    for flag in ("open_to_help", "open_to_paid", "open_to_barter"):
        if getattr(query, flag):
            statement = statement.where(getattr(Member, flag).is_(True))
    if not query.text.strip():
        # No words to rank by: the order is the names'. Sort the names alone and load only the
        # page's profiles (a space of 500 would otherwise load every profile for 50 cards).
        names = session.execute(statement.with_only_columns(Member.id, Member.display_name)).all()
        names.sort(key=lambda row: (row.display_name.casefold(), row.id))
        page = [row.id for row in names[query.offset : query.offset + query.limit]]
        return _profiles(session, page, loads), len(names)
    members = list(session.scalars(statement.options(*loads)).unique())

    def rank(member: Member) -> tuple:
        held = [s for s in member.skills if s.concept_id in concepts]
        best = max((LEVEL_ORDER.index(s.level) for s in held if s.level in LEVEL_ORDER), default=-1)
        close = {s.concept_id for s in member.skills if s.concept_id in near}
        around = {s.concept_id for s in member.skills if s.concept_id in related}
        strong, weak = _field_keys(member, thesaurus) if alternatives else (set(), set())
        in_skills = sum(any(_matches(w, strong) for w in options) for options in alternatives)
        elsewhere = sum(any(_matches(w, strong | weak) for w in options) for options in alternatives)
        return (-len({s.concept_id for s in held}), -best, -len(close), -len(around), -in_skills,
                -elsewhere,
                member.display_name.casefold(), member.id)

    members.sort(key=rank)
    total = len(members)
    return members[query.offset : query.offset + query.limit], total
