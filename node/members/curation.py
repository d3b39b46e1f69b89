"""The manager's curation of free-text skills: the tags no concept matches, counted; mapping a
tag to a concept for every member who typed it (and who will); proposing a new concept upstream.

A mapped tag changes the members' skills in place (``concept_id`` and ``skill_key``) and records
``MembersChanged`` for them: after the commit the network export re-publishes their entries, so
peers hold the concept at their next sync. Undoing a mapping gives those skills back to the
thesaurus alone (free text again when it knows nothing of them)."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session, selectinload

from ..domain_events import MembersChanged
from ..errors import N_, Conflict, NotFound, ValidationError
from ..orm import utcnow
from ..uow import record
from .models import (
    ConceptProposal,
    Member,
    MemberSkill,
    MemberStatus,
    ProposalStatus,
    SkillMapping,
)
from .profiles import refresh_search_keys
from .skillmap import concept_key, tag_key
from .textnorm import fold
from .thesaurus import clean_tag, get_thesaurus

MAX_LABEL_LENGTH = 120


@dataclass(frozen=True)
class UnmappedSkill:
    """A free-text skill waiting for the manager: its folded tag, how many active members typed
    it, and the spellings they typed (most frequent first)."""

    tag: str
    members: int
    labels: tuple[str, ...]


@dataclass(frozen=True)
class MappingRow:
    """A mapping as the manager's page lists it."""

    tag: str
    concept_id: str
    members: int
    mapped_by: str | None
    mapped_at: datetime


@dataclass(frozen=True)
class MappingResult:
    """What ``map_tag`` or ``unmap_tag`` did: the tag, its concept (the one set, or the one
    removed), the members whose skills changed, and whether an earlier mapping was replaced."""

    tag: str
    concept_id: str
    member_ids: frozenset[int]
    replaced: str | None = None


@dataclass(frozen=True)
class ProposalResult:
    """What ``propose_concept`` did: the proposal, and whether it was new or a correction."""

    proposal: ConceptProposal
    created: bool


# --- queries ----------------------------------------------------------------------------------


def _waiting(statement):
    """``statement`` kept to active members' free-text skills not yet decided on."""
    decided = select(SkillMapping.tag).union(
        select(ConceptProposal.tag).where(ConceptProposal.status == ProposalStatus.PROPOSED))
    return (statement.join(Member, Member.id == MemberSkill.member_id)
            .where(MemberSkill.concept_id.is_(None), MemberSkill.tag != "",
                   Member.status == MemberStatus.ACTIVE, MemberSkill.tag.not_in(decided)))


def unmapped_skills(session: Session) -> list[UnmappedSkill]:
    """The free-text skills of active members that no concept matches and that the manager has
    neither mapped nor proposed: most members first, then alphabetically."""
    members: dict[str, set[int]] = defaultdict(set)
    spellings: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rows = session.execute(_waiting(select(MemberSkill.tag, MemberSkill.label, MemberSkill.member_id)))
    for tag, label, member_id in rows:
        members[tag].add(member_id)
        spellings[tag][label] += 1
    waiting = [
        UnmappedSkill(tag, len(ids), tuple(sorted(spellings[tag], key=lambda s: (-spellings[tag][s], s))))
        for tag, ids in members.items()
    ]
    return sorted(waiting, key=lambda row: (-row.members, row.tag))


def unmapped_select() -> Select:
    """The statement counting the free-text skills that wait for the manager."""
    return _waiting(select(func.count(func.distinct(MemberSkill.tag))))


def count_unmapped(session: Session) -> int:
    """How many free-text skills wait for the manager (the home page's line)."""
    return session.scalar(unmapped_select()) or 0


def _members_by_tag(session: Session, tags: list[str]) -> dict[str, int]:
    if not tags:
        return {}
    return dict(session.execute(
        select(MemberSkill.tag, func.count(func.distinct(MemberSkill.member_id)))
        .where(MemberSkill.tag.in_(tags)).group_by(MemberSkill.tag)
    ).all())


def list_mappings(session: Session) -> list[MappingRow]:
    """The node's mappings, newest first, with how many members hold each tag."""
    mappings = session.execute(
        select(SkillMapping, Member.display_name)
        .outerjoin(Member, Member.id == SkillMapping.mapped_by_id)
        .order_by(SkillMapping.mapped_at.desc(), SkillMapping.tag)
    ).all()
    counts = _members_by_tag(session, [mapping.tag for mapping, _name in mappings])
    return [MappingRow(m.tag, m.concept_id, counts.get(m.tag, 0), name, m.mapped_at)
            for m, name in mappings]


def list_proposals(session: Session) -> list[ConceptProposal]:
    """Every concept proposal, newest first."""
    return list(session.scalars(
        select(ConceptProposal).order_by(ConceptProposal.proposed_at.desc(), ConceptProposal.id.desc())))


def _typed_labels(session: Session, tag: str) -> list[str]:
    return list(session.scalars(
        select(MemberSkill.label).where(MemberSkill.tag == tag).distinct().order_by(MemberSkill.label)))


def concept_id_for(label_en: str, label_fr: str) -> str:
    """The id a proposed concept would take, in the thesaurus's style ("screen-printing")."""
    for label in (label_en, label_fr):
        slug = re.sub(r"[^a-z0-9]+", "-", fold(label)).strip("-")
        if slug:
            return slug[:64]
    return "concept"


def proposals_document(session: Session, proposals: list[ConceptProposal] | None = None) -> dict:
    """The proposals still waiting, in the ``skills.json`` format (``version``, ``concepts``),
    for an operator to send upstream. Holds no member's name: only the labels, the group and
    the spellings typed (as French aliases: the thesaurus folds and matches them in any
    language)."""
    proposals = list_proposals(session) if proposals is None else proposals
    concepts = []
    for proposal in proposals:
        if proposal.status != ProposalStatus.PROPOSED:
            continue
        named = {fold(proposal.label_fr), fold(proposal.label_en)}
        aliases: list[str] = []
        for label in _typed_labels(session, proposal.tag) or [proposal.tag]:
            if fold(label) not in named:
                named.add(fold(label))
                aliases.append(label)
        concepts.append({
            "id": concept_id_for(proposal.label_en, proposal.label_fr),
            "group": proposal.group_id,
            "fr": proposal.label_fr,
            "en": proposal.label_en,
            "aliases_fr": aliases,
            "aliases_en": [],
        })
    return {"version": 1, "concepts": concepts}


# --- operations -------------------------------------------------------------------------------


def _folded_tag(tag: str) -> str:
    folded = clean_tag(tag or "")
    if not folded:
        raise ValidationError(N_("Name the free-text skill."), fields={"tag": [N_("Required.")]})
    return folded


def _check_concept(concept_id: str) -> None:
    if not concept_id or get_thesaurus().concept(concept_id) is None:
        raise ValidationError(N_("Choose a concept of the thesaurus."),
                              fields={"concept_id": [N_("Unknown concept.")]})


def _skills_with_tag(session: Session, tag: str) -> list[MemberSkill]:
    return list(session.scalars(
        select(MemberSkill).where(MemberSkill.tag == tag)
        .options(selectinload(MemberSkill.member).selectinload(Member.skills))
        .order_by(MemberSkill.id)))


def _set_concept(skill: MemberSkill, concept_id: str | None) -> bool:
    """Point one member skill at ``concept_id`` (None: free text); True if it changed. A member
    who already holds that concept through another skill keeps this one as free text."""
    if concept_id is not None and any(
            other is not skill and other.concept_id == concept_id for other in skill.member.skills):
        concept_id = None
    key = concept_key(concept_id) if concept_id else tag_key(skill.tag)
    if skill.concept_id == concept_id and skill.skill_key == key:
        return False
    skill.concept_id, skill.skill_key = concept_id, key
    return True


def _changed(session: Session, members: set[Member]) -> frozenset[int]:
    """Refresh the changed members' search words, flush, and record that they changed (the
    network export re-publishes them after the commit)."""
    for member in members:
        refresh_search_keys(member)
    session.flush()
    ids = frozenset(member.id for member in members)
    if ids:
        record(session, MembersChanged(ids))
    return ids


def map_tag(session: Session, manager: Member, tag: str, concept_id: str,
            now: datetime | None = None) -> MappingResult:
    """Map a free-text skill to a concept for every member who typed it, and for those who will.

    Replaces an earlier mapping of the tag; a proposal for the tag is marked ``mapped``. A
    tag nobody typed yet may be mapped ahead. Unknown concept or empty tag: nothing changes."""
    folded = _folded_tag(tag)
    _check_concept(concept_id)
    mapping = session.get(SkillMapping, folded)
    replaced = mapping.concept_id if mapping is not None and mapping.concept_id != concept_id else None
    if mapping is None:
        mapping = SkillMapping(tag=folded)
    mapping.concept_id, mapping.mapped_by_id, mapping.mapped_at = (
        concept_id, manager.id, now or utcnow())
    session.add(mapping)
    changed = set()
    for skill in _skills_with_tag(session, folded):
        if skill.concept_id in (None, replaced) and _set_concept(skill, concept_id):
            changed.add(skill.member)
    proposal = session.scalar(select(ConceptProposal).where(ConceptProposal.tag == folded))
    if proposal is not None:
        proposal.status = ProposalStatus.MAPPED
    return MappingResult(folded, concept_id, _changed(session, changed), replaced)


def unmap_tag(session: Session, tag: str) -> MappingResult:
    """Undo a mapping: the members' skills with that tag go back to what the thesaurus alone
    makes of them (free text when it knows nothing), and later members keep the free text.
    A proposal for the tag waits again as ``proposed``."""
    folded = clean_tag(tag or "")
    mapping = session.get(SkillMapping, folded) if folded else None
    if mapping is None:
        raise NotFound(N_("This free-text skill is not mapped."))
    thesaurus = get_thesaurus()
    changed = set()
    for skill in _skills_with_tag(session, folded):
        if skill.concept_id == mapping.concept_id:
            concept = thesaurus.resolve(skill.tag)
            if _set_concept(skill, concept.id if concept else None):
                changed.add(skill.member)
    concept_id = mapping.concept_id
    session.delete(mapping)
    proposal = session.scalar(select(ConceptProposal).where(ConceptProposal.tag == folded))
    if proposal is not None:
        proposal.status = ProposalStatus.PROPOSED
    return MappingResult(folded, concept_id, _changed(session, changed))


def _clean_label(value: str | None) -> str:
    return " ".join((value or "").split())


def propose_concept(session: Session, manager: Member, tag: str, label_fr: str, label_en: str,
                    group: str, now: datetime | None = None) -> ProposalResult:
    """Propose a new concept for a free-text skill, to be sent upstream to the thesaurus.

    The tag leaves the to-do list (status ``proposed``); its members keep the free text until
    the manager maps it or a new thesaurus knows it. Proposing a tag again corrects the
    proposal. Empty labels, an unknown group, a label that already names a concept, or a tag
    already mapped: a clear error and nothing changes."""
    folded = _folded_tag(tag)
    thesaurus = get_thesaurus()
    labels = {"label_fr": _clean_label(label_fr), "label_en": _clean_label(label_en)}
    errors: dict[str, list[str]] = {}
    for field, label in labels.items():
        if not label:
            errors[field] = [N_("Required.")]
        elif len(label) > MAX_LABEL_LENGTH:
            errors[field] = [N_("Too long.")]
        elif thesaurus.resolve(label) is not None:
            errors[field] = [N_("A concept of the thesaurus already has this name: map the skill "
                                "to it instead.")]
    if not group or thesaurus.group(group) is None:
        errors["group"] = [N_("Unknown group.")]
    if errors:
        raise ValidationError(N_("Some fields are not valid."), fields=errors)
    if session.get(SkillMapping, folded) is not None:
        raise Conflict(N_("This free-text skill is already mapped to a concept; undo the mapping "
                          "first."))
    proposal = session.scalar(select(ConceptProposal).where(ConceptProposal.tag == folded))
    created = proposal is None
    if proposal is None:
        proposal = ConceptProposal(tag=folded)
    proposal.label_fr, proposal.label_en, proposal.group_id = labels["label_fr"], labels["label_en"], group
    proposal.proposed_by_id, proposal.proposed_at = manager.id, now or utcnow()
    proposal.status = ProposalStatus.PROPOSED
    session.add(proposal)
    session.flush()
    return ProposalResult(proposal, created)


def withdraw_proposal(session: Session, tag: str) -> str:
    """Withdraw a proposal: the tag waits on the to-do list again (if members still hold it).
    Returns the folded tag."""
    folded = clean_tag(tag or "")
    deleted = session.execute(
        delete(ConceptProposal).where(ConceptProposal.tag == folded)).rowcount if folded else 0
    if not deleted:
        raise NotFound(N_("There is no proposal for this free-text skill."))
    session.flush()
    return folded

