"""JSON API: the space, the directory, my profile, members for managers, tokens, invitations."""

from __future__ import annotations

from flask import Blueprint, current_app, g, url_for

from schemas.accounts import (
    ApiTokenCreatedSchema,
    ApiTokenCreateSchema,
    ApiTokenOutSchema,
    InvitationCreateSchema,
    InvitationOutSchema,
    SpaceOutSchema,
)
from schemas.members import (
    AdminMemberUpdateSchema,
    ConceptProposalInSchema,
    ConceptProposalOutSchema,
    DirectoryQuerySchema,
    MemberAdminSchema,
    MemberOutSchema,
    MemberPageSchema,
    MemberSelfSchema,
    ProfileUpdateSchema,
    ProposalsDocumentSchema,
    SkillMappingInSchema,
    SkillMappingOutSchema,
    UnmappedSkillListSchema,
)

from ..accounts import accounts
from ..db import db
from ..errors import N_, NotFound
from ..http import context
from ..http.security import MANAGER, PUBLIC
from ..members import curation, profiles
from ..members.directory import DirectoryQuery, search_members
from ..members.thesaurus import get_thesaurus
from .base import endpoint

bp = Blueprint("api_members", __name__, url_prefix="/api/v1")


def dump_member(member, schema_cls=MemberOutSchema) -> dict:
    return dump_members([member], schema_cls)[0]


def dump_members(members: list, schema_cls=MemberOutSchema) -> list[dict]:
    """Profiles as JSON, with each skill's concept label (one schema for the whole list)."""
    thesaurus = get_thesaurus()
    rows = schema_cls(many=True).dump(members)
    for member, data in zip(members, rows, strict=True):
        for skill, out in zip(member.skills, data["skills"], strict=True):
            out["concept_label"] = thesaurus.label(skill.concept_id, "fr") if skill.concept_id else None
    return rows


@endpoint(bp, "/space", access=PUBLIC, summary="The space this node serves", response=SpaceOutSchema,
          tags=("space",))
def space():
    return SpaceOutSchema().dump(context.space())


@endpoint(bp, "/members", summary="Search the space's directory", query=DirectoryQuerySchema,
          response=MemberPageSchema, tags=("directory",))
def list_members(data: dict):
    query = DirectoryQuery(
        text=data["q"], trade_id=data["trade"], language=data["language"],
        open_to_help=data["open_to_help"], open_to_paid=data["open_to_paid"],
        open_to_barter=data["open_to_barter"], limit=data["limit"], offset=data["offset"],
    )
    members, total = search_members(db.session, query)
    return {"items": dump_members(members), "total": total,
            "limit": data["limit"], "offset": data["offset"]}


@endpoint(bp, "/members/<int:member_id>",
          summary="A member's profile (a manager also sees the account fields)",
          response=MemberAdminSchema,
          tags=("directory",))
def get_member(member_id: int):
    member = accounts.get_member(db.session, member_id)
    if not member.is_active and not g.api_member.is_manager:
        raise NotFound(N_("No such member."))
    schema = MemberAdminSchema if g.api_member.is_manager else MemberOutSchema
    return dump_member(member, schema)


@endpoint(bp, "/me", summary="My profile and account", response=MemberSelfSchema, tags=("profile",))
def me():
    return dump_member(g.api_member, MemberSelfSchema)


@endpoint(bp, "/me", methods=("PATCH",), summary="Update my profile", body=ProfileUpdateSchema,
          response=MemberSelfSchema, tags=("profile",))
def update_me(data: dict):
    profiles.update_profile(db.session, g.api_member, data)
    db.session.commit()
    return dump_member(g.api_member, MemberSelfSchema)


@endpoint(bp, "/admin/members/<int:member_id>", methods=("PATCH",), access=MANAGER,
          summary="Approve, suspend, reactivate a member or change their role",
          body=AdminMemberUpdateSchema, response=MemberAdminSchema, tags=("admin",))
def admin_update_member(member_id: int, data: dict):
    member = accounts.get_member(db.session, member_id)
    if "status" in data:
        accounts.set_status(db.session, g.api_member, member, data["status"])
    if "role" in data:
        accounts.set_role(db.session, g.api_member, member, data["role"])
    db.session.commit()
    return dump_member(member, MemberAdminSchema)


@endpoint(bp, "/admin/invitations", methods=("POST",), access=MANAGER, summary="Create an invitation link",
          body=InvitationCreateSchema, response=InvitationOutSchema, status=201, tags=("admin",))
def create_invitation(data: dict):
    invitation, token = accounts.create_invitation(
        db.session, created_by=g.api_member, email=data["email"], role=data["role"],
        ttl_hours=int(current_app.config["INVITATION_TTL_HOURS"]),
    )
    db.session.commit()
    out = InvitationOutSchema().dump(invitation)
    out["url"] = url_for("auth.accept_invitation", token=token, _external=True)
    return out


@endpoint(bp, "/me/tokens", summary="My personal access tokens", response=ApiTokenOutSchema(many=True),
          tags=("tokens",))
def list_tokens():
    return ApiTokenOutSchema(many=True).dump(accounts.list_api_tokens(db.session, g.api_member))


@endpoint(bp, "/me/tokens", methods=("POST",), summary="Create a personal access token",
          body=ApiTokenCreateSchema, response=ApiTokenCreatedSchema, status=201, tags=("tokens",))
def create_token(data: dict):
    token, clear = accounts.create_api_token(db.session, g.api_member, data["name"])
    db.session.commit()
    out = ApiTokenCreatedSchema().dump(token)
    out["token"] = clear
    return out


@endpoint(bp, "/me/tokens/<int:token_id>", methods=("DELETE",), summary="Revoke one of my tokens",
          response=ApiTokenOutSchema, tags=("tokens",))
def revoke_token(token_id: int):
    token = accounts.revoke_api_token(db.session, g.api_member, token_id)
    db.session.commit()
    return ApiTokenOutSchema().dump(token)



# --- the manager's curation of free-text skills ------------------------------------------------


def _mapping_out(result: curation.MappingResult) -> dict:
    return {"tag": result.tag, "concept_id": result.concept_id,
            "concept_label": get_thesaurus().label(result.concept_id, "fr"),
            "members_changed": len(result.member_ids), "replaced": result.replaced}


@endpoint(bp, "/admin/skills/unmapped", access=MANAGER,
          summary="Free-text skills no concept matches, with how many active members typed each",
          response=UnmappedSkillListSchema, tags=("admin",))
def unmapped_skills():
    rows = curation.unmapped_skills(db.session)
    return {"items": [{"tag": r.tag, "members": r.members, "labels": list(r.labels)} for r in rows]}


@endpoint(bp, "/admin/skills/mappings", methods=("POST",), access=MANAGER,
          summary="Map a free-text skill to a concept for every member who typed it (peers "
                  "receive the concept at their next sync)",
          body=SkillMappingInSchema, response=SkillMappingOutSchema, status=201, tags=("admin",))
def map_skill(data: dict):
    result = curation.map_tag(db.session, g.api_member, data["tag"], data["concept_id"],
                              now=context.now())
    db.session.commit()
    return _mapping_out(result)


@endpoint(bp, "/admin/skills/mappings/<path:tag>", methods=("DELETE",), access=MANAGER,
          summary="Undo a mapping: the members who typed the text hold it as free text again",
          response=SkillMappingOutSchema, tags=("admin",))
def unmap_skill(tag: str):
    result = curation.unmap_tag(db.session, tag)
    db.session.commit()
    return _mapping_out(result)


@endpoint(bp, "/admin/skills/proposals", methods=("POST",), access=MANAGER,
          summary="Propose a new concept for a free-text skill (to send upstream)",
          body=ConceptProposalInSchema, response=ConceptProposalOutSchema, status=201,
          tags=("admin",))
def propose_concept(data: dict):
    result = curation.propose_concept(db.session, g.api_member, data["tag"], data["label_fr"],
                                      data["label_en"], data["group"], now=context.now())
    db.session.commit()
    out = ConceptProposalOutSchema().dump(result.proposal)
    out["created"] = result.created
    return out


@endpoint(bp, "/admin/skills/proposals", access=MANAGER,
          summary="The waiting concept proposals, in the thesaurus's skills.json format",
          response=ProposalsDocumentSchema, tags=("admin",))
def concept_proposals():
    return curation.proposals_document(db.session)
