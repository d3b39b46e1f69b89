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
        create_member("c@example.org", skills=[("Plumasserie", "confirme")]),
    ]


def test_unmapped_skills_counts_members_most_frequent_first(session, typists, create_member):
    create_member("pending@example.org", status="pending", skills=[("Plumasserie", "expert")])
    rows = curation.unmapped_skills(session)
    assert [(r.tag, r.members) for r in rows] == [(TAG, 2), ("plumasserie", 1)]
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
    assert "tag:plumasserie" in skills_of(session, c.id)
    assert [r.tag for r in curation.unmapped_skills(session)] == ["plumasserie"]
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
    assert [r.tag for r in curation.unmapped_skills(session)] == ["plumasserie"]
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
    assert curation.unmapped_skills(session)[0].tag == "plumasserie"
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


# --- the manager's page -----------------------------------------------------------------------


def test_the_page_maps_for_everyone_and_undoes(portal, session, manager, typists):
    portal.login("manager@example.org")
    home = portal.get("/").get_data(as_text=True)
    assert "2 compétences en texte libre à classer" in home and "/admin/skills" in home
    page = portal.get("/admin/skills").get_data(as_text=True)
    assert "Compétences à classer" in page and TAG in page and TYPED in page
    response = portal.post("/admin/skills/mappings", {"tag": TAG, "concept_id": "Graphisme"})
    assert response.status_code == 302
    page = portal.get("/admin/skills").get_data(as_text=True)
    assert "« serigraphie artisanale » devient « Graphisme » pour 2 membres." in page
    assert skills_of(session, typists[1].id)[f"concept:{CONCEPT}"].tag == TAG
    response = portal.post("/admin/skills/mappings/undo", {"tag": TAG, "confirm": "1"}, follow_redirects=True)
    assert "texte libre" in response.get_data(as_text=True)
    assert skills_of(session, typists[1].id)[f"tag:{TAG}"].concept_id is None


def test_the_page_keeps_what_was_typed_on_error(portal, session, manager, typists):
    portal.login("manager@example.org")
    response = portal.post("/admin/skills/mappings", {"tag": TAG, "concept_id": "Astrologie quantique"})
    assert response.status_code == 422
    assert 'value="Astrologie quantique"' in response.get_data(as_text=True)
    response = portal.post("/admin/skills/proposals", {
        "tag": TAG, "label_fr": "Sérigraphie", "label_en": "Screen printing", "group": "nowhere"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="Screen printing"' in page and "<details open>" in page
    assert count_rows(session, SkillMapping) == 0 and count_rows(session, ConceptProposal) == 0


def test_the_page_proposes_and_exports(portal, session, manager, typists):
    portal.login("manager@example.org")
    response = portal.post("/admin/skills/proposals", {
        "tag": TAG, "label_fr": "Sérigraphie", "label_en": "Screen printing", "group": "crafts"},
        follow_redirects=True)
    assert "Le concept « Sérigraphie » est proposé" in response.get_data(as_text=True)
    exported = portal.get("/admin/skills/proposals.json")
    assert exported.headers["Content-Disposition"].startswith("attachment")
    assert exported.json["concepts"][0]["en"] == "Screen printing"
    portal.post("/admin/skills/proposals/withdraw", {"tag": TAG, "confirm": "1"})
    assert count_rows(session, ConceptProposal) == 0


def test_only_a_manager_reaches_the_page_and_forms_need_csrf(portal, client, session, manager,
                                                            typists):
    portal.login("a@example.org")
    assert portal.get("/admin/skills").status_code == 403
    assert portal.post("/admin/skills/mappings", {"tag": TAG, "concept_id": CONCEPT}).status_code == 403
    portal.login("manager@example.org")
    response = client.post("/admin/skills/mappings", data={"tag": TAG, "concept_id": CONCEPT})
    assert response.status_code in (400, 403)
    assert count_rows(session, SkillMapping) == 0


# --- the API ----------------------------------------------------------------------------------


def test_the_api_lists_maps_unmaps_and_proposes(client, session, api_token, manager, typists):
    headers = api_token(manager)
    listed = client.get("/api/v1/admin/skills/unmapped", headers=headers)
    assert listed.status_code == 200
    assert listed.json["items"][0] == {"tag": TAG, "members": 2,
                                       "labels": sorted([TYPED, "sérigraphie  artisanale!"])}
    mapped = client.post("/api/v1/admin/skills/mappings", headers=headers,
                         json={"tag": TYPED, "concept_id": CONCEPT})
    assert mapped.status_code == 201
    assert mapped.json["members_changed"] == 2 and mapped.json["concept_label"] == "Graphisme"
    assert skills_of(session, typists[0].id)[f"concept:{CONCEPT}"].tag == TAG
    undone = client.delete(f"/api/v1/admin/skills/mappings/{TAG}", headers=headers)
    assert undone.status_code == 200 and undone.json["members_changed"] == 2
    assert client.delete(f"/api/v1/admin/skills/mappings/{TAG}", headers=headers).status_code == 404
    proposed = client.post("/api/v1/admin/skills/proposals", headers=headers, json={
        "tag": TAG, "label_fr": "Sérigraphie", "label_en": "Screen printing", "group": "crafts"})
    assert proposed.status_code == 201 and proposed.json["status"] == "proposed"
    document = client.get("/api/v1/admin/skills/proposals", headers=headers).json
    assert document["concepts"][0]["id"] == "screen-printing"


def test_the_api_refuses_members_and_bad_input(client, session, api_token, manager, typists):
    member = api_token(typists[0])
    assert client.get("/api/v1/admin/skills/unmapped", headers=member).status_code == 403
    assert client.post("/api/v1/admin/skills/mappings", headers=member,
                       json={"tag": TAG, "concept_id": CONCEPT}).status_code == 403
    headers = api_token(manager)
    for body in ({"tag": TAG, "concept_id": "no-such"}, {"tag": "", "concept_id": CONCEPT},
                 {"tag": TAG}, {"tag": TAG, "concept_id": CONCEPT, "extra": 1}):
        response = client.post("/api/v1/admin/skills/mappings", headers=headers, json=body)
        assert response.status_code == 422, body
    response = client.post("/api/v1/admin/skills/proposals", headers=headers, json={
        "tag": TAG, "label_fr": "Sérigraphie", "label_en": "Screen printing", "group": "nope"})
    assert response.status_code == 422 and "group" in response.json["error"]["fields"]
    assert count_rows(session, SkillMapping) == 0 and count_rows(session, ConceptProposal) == 0
    assert skills_of(session, typists[0].id)[f"tag:{TAG}"].concept_id is None


def test_the_page_speaks_english_too(portal, manager, typists):
    portal.login("manager@example.org")
    portal.post("/lang", {"lang": "en", "next": "/admin/skills"})
    page = portal.get("/admin/skills").get_data(as_text=True)
    assert "Skills to curate" in page and "Map to the concept" in page
    response = portal.post("/admin/skills/mappings", {"tag": TAG, "concept_id": "Graphic design"},
                           follow_redirects=True)
    assert "“serigraphie artisanale” is now “Graphic design” for 2 members." in \
        response.get_data(as_text=True)
    assert "1 free-text skill to curate" in portal.get("/").get_data(as_text=True)  # origami
