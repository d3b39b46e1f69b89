"""Curation of free-text skills: the operations (map, undo, propose), the manager's page and the
admin API, their validation and their access rules."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from node.domain_events import MembersChanged
from node.errors import Conflict, NotFound, ValidationError
from node.members import curation, profiles
from node.members.directory import DirectoryQuery, search_members
from node.models import ConceptProposal, Member, MemberSkill, SkillMapping
from node.uow import recorded
from tests.conftest import count_rows

TYPED = "Sérigraphie Artisanale"
TAG = "serigraphie artisanale"
CONCEPT = "graphic-design"  # a concept of the bundled thesaurus


def skills_of(session, member_id: int) -> dict[str, MemberSkill]:
    session.expire_all()
    return {s.skill_key: s for s in session.get(Member, member_id).skills}


@pytest.fixture
def manager(create_member):
    return create_member("manager@example.org", role="manager", display_name="Manon")


@pytest.fixture
def typists(create_member):
    """Two active members who typed the free text (two spellings), one who typed other text."""
    return [
        create_member("a@example.org", skills=[(TYPED, "expert"), ("Comptabilité", "confirme")]),
        create_member("b@example.org", skills=[("sérigraphie  artisanale!", "debutant")]),
        create_member("c@example.org", skills=[("Origami industriel", "confirme")]),
    ]


def test_unmapped_skills_counts_members_most_frequent_first(session, typists, create_member):
    create_member("pending@example.org", status="pending", skills=[("Origami industriel", "expert")])
    rows = curation.unmapped_skills(session)
    assert [(r.tag, r.members) for r in rows] == [(TAG, 2), ("origami industriel", 1)]
    assert set(rows[0].labels) == {TYPED, "sérigraphie  artisanale!"}
    assert curation.count_unmapped(session) == 2


def test_mapping_applies_to_every_member_who_typed_it(session, manager, typists):
    a, b, c = typists
    result = curation.map_tag(session, manager, TYPED, CONCEPT)
    assert result.tag == TAG and result.member_ids == {a.id, b.id}
    assert recorded(session) == [MembersChanged(frozenset({a.id, b.id}))]
    session.commit()
    for member in (a, b):
        skill = skills_of(session, member.id)[f"concept:{CONCEPT}"]
        assert skill.tag == TAG and skill.concept_id == CONCEPT
    assert skills_of(session, a.id)[f"concept:{CONCEPT}"].label == TYPED  # what they typed stays
    assert "tag:origami industriel" in skills_of(session, c.id)
    assert [r.tag for r in curation.unmapped_skills(session)] == ["origami industriel"]
    found, _total = search_members(session, DirectoryQuery(text="graphisme"))
    assert {m.id for m in found} == {a.id, b.id}
    [row] = curation.list_mappings(session)
    assert (row.tag, row.concept_id, row.members, row.mapped_by) == (TAG, CONCEPT, 2, "Manon")


def test_a_member_typing_the_text_later_gets_the_mapping(session, manager, typists, create_member):
    curation.map_tag(session, manager, TAG, CONCEPT)
    session.commit()
    later = create_member("later@example.org", skills=[("SERIGRAPHIE ARTISANALE", "confirme")])
    assert skills_of(session, later.id)[f"concept:{CONCEPT}"].label == "SERIGRAPHIE ARTISANALE"
    # Saving the profile again keeps the one skill (same key).
    profiles.update_profile(session, session.get(Member, later.id),
                            {"skills": [{"label": "Sérigraphie artisanale", "level": "expert"}]})
    session.commit()
    assert list(skills_of(session, later.id)) == [f"concept:{CONCEPT}"]


def test_a_member_who_holds_the_concept_already_keeps_one_skill(session, manager, create_member):
    both = create_member(skills=[("Graphisme", "debutant"), (TYPED, "expert")])
    curation.map_tag(session, manager, TAG, CONCEPT)
    session.commit()
    skills = skills_of(session, both.id)
    assert skills[f"concept:{CONCEPT}"].label == "Graphisme"
    assert skills[f"tag:{TAG}"].concept_id is None  # nothing lost, no duplicate concept
    profiles.update_profile(session, session.get(Member, both.id), {"skills": [
        {"label": "Graphisme", "level": "debutant"}, {"label": TYPED, "level": "expert"}]})
    session.commit()
    assert {k: s.level for k, s in skills_of(session, both.id).items()} == {
        f"concept:{CONCEPT}": "expert"}  # two spellings of one skill: the higher level wins


def test_undo_restores_the_free_text(session, manager, typists):
    a, b, _c = typists
    curation.map_tag(session, manager, TAG, CONCEPT)
    session.commit()
    result = curation.unmap_tag(session, TYPED)
    assert result.member_ids == {a.id, b.id} and result.concept_id == CONCEPT
    assert recorded(session) == [MembersChanged(frozenset({a.id, b.id}))]
    session.commit()
    assert skills_of(session, a.id)[f"tag:{TAG}"].concept_id is None
    assert count_rows(session, SkillMapping) == 0
    assert curation.unmapped_skills(session)[0].tag == TAG
    with pytest.raises(NotFound):
        curation.unmap_tag(session, TAG)


def test_remapping_moves_the_members_to_the_new_concept(session, manager, typists):
    curation.map_tag(session, manager, TAG, CONCEPT)
    result = curation.map_tag(session, manager, TAG, "illustration")
    assert result.replaced == CONCEPT and len(result.member_ids) == 2
    session.commit()
    assert "concept:illustration" in skills_of(session, typists[0].id)


@pytest.mark.parametrize("tag, concept_id", [("", CONCEPT), ("  !! ", CONCEPT), (TAG, "no-such"),
                                             (TAG, "")])
def test_a_bad_mapping_changes_nothing(session, manager, typists, tag, concept_id):
    with pytest.raises(ValidationError):
        curation.map_tag(session, manager, tag, concept_id)
    session.rollback()
    assert count_rows(session, SkillMapping) == 0
    assert skills_of(session, typists[0].id)[f"tag:{TAG}"].concept_id is None


def test_proposing_a_concept_takes_the_tag_off_the_list(session, manager, typists):
    result = curation.propose_concept(session, manager, TYPED, " Sérigraphie ", "Screen printing",
                                      "crafts")
    assert result.created and result.proposal.status == "proposed"
    assert result.proposal.label_fr == "Sérigraphie"
    session.commit()
    assert [r.tag for r in curation.unmapped_skills(session)] == ["origami industriel"]
    document = curation.proposals_document(session)
    assert document["version"] == 1
    [concept] = document["concepts"]
    assert concept["id"] == "screen-printing" and concept["group"] == "crafts"
    assert (concept["fr"], concept["en"]) == ("Sérigraphie", "Screen printing")
    assert TYPED in concept["aliases_fr"] and "a@example.org" not in str(document)
    # Corrected, then mapped after all: it leaves the export, and the undo brings it back.
    again = curation.propose_concept(session, manager, TAG, "Sérigraphie d'art", "Screen printing",
                                     "crafts")
    assert not again.created and count_rows(session, ConceptProposal) == 1
    curation.map_tag(session, manager, TAG, CONCEPT)
    assert session.scalar(select(ConceptProposal.status)) == "mapped"
    assert curation.proposals_document(session)["concepts"] == []
    curation.unmap_tag(session, TAG)
    assert session.scalar(select(ConceptProposal.status)) == "proposed"
    assert curation.unmapped_skills(session)[0].tag == "origami industriel"
    curation.withdraw_proposal(session, TAG)
    assert curation.unmapped_skills(session)[0].tag == TAG


@pytest.mark.parametrize("fr, en, group, field", [
    ("", "Screen printing", "crafts", "label_fr"),
    ("Sérigraphie", "   ", "crafts", "label_en"),
    ("Sérigraphie", "Screen printing", "no-such-group", "group"),
    ("Comptabilité", "Screen printing", "crafts", "label_fr"),  # names an existing concept
])
def test_a_bad_proposal_changes_nothing(session, manager, typists, fr, en, group, field):
    with pytest.raises(ValidationError) as caught:
        curation.propose_concept(session, manager, TAG, fr, en, group)
    assert field in caught.value.fields
    session.rollback()
    assert count_rows(session, ConceptProposal) == 0


def test_a_mapped_tag_cannot_be_proposed(session, manager, typists):
    curation.map_tag(session, manager, TAG, CONCEPT)
    with pytest.raises(Conflict):
        curation.propose_concept(session, manager, TAG, "Sérigraphie", "Screen printing", "crafts")
