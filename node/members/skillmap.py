"""The manager's local mappings (free-text tag -> concept), read when a profile is saved.

Kept apart from :mod:`node.members.curation` (the operations that write the mappings) so that
:mod:`node.members.profiles` can read them without an import circle."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import SKILL_LEVELS, MemberSkill, SkillMapping


def level_rank(level: str) -> int:
    """Beginner < confirmed < expert: which of two spellings of one skill wins."""
    return SKILL_LEVELS.index(level) if level in SKILL_LEVELS else 1


def concept_key(concept_id: str) -> str:
    return f"concept:{concept_id}"


def tag_key(tag: str) -> str:
    return f"tag:{tag}"


def with_local_mappings(session: Session, skills: dict[str, MemberSkill]) -> dict[str, MemberSkill]:
    """Normalised skills (by skill key) with the local mappings applied before the thesaurus.

    A skill whose folded tag the manager mapped takes the mapped concept, so a member who types
    the text after the mapping holds the concept at once. Two skills that end up on one concept
    keep the highest level, as two spellings of one skill do in the thesaurus."""
    tags = {skill.tag for skill in skills.values() if skill.tag}
    if not tags:
        return skills
    mapped = dict(session.execute(
        select(SkillMapping.tag, SkillMapping.concept_id).where(SkillMapping.tag.in_(tags))
    ).all())
    if not mapped:
        return skills
    result: dict[str, MemberSkill] = {}
    for skill in skills.values():
        concept_id = mapped.get(skill.tag)
        if concept_id is not None:
            skill.concept_id, skill.skill_key = concept_id, concept_key(concept_id)
        previous = result.get(skill.skill_key)
        if previous is None or level_rank(skill.level) > level_rank(previous.level):
            result[skill.skill_key] = skill
    return result
