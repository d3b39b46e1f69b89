"""Members of the space: account, profile, skills and languages."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..orm import Base, UTCDateTime, utcnow

ROLES = ("member", "manager")


class MemberStatus(StrEnum):
    """A member's status; the values are what the ``members.status`` column holds."""

    PENDING = "pending"  # signed up, awaiting a manager's approval
    ACTIVE = "active"
    SUSPENDED = "suspended"


STATUSES = tuple(status.value for status in MemberStatus)
VISIBILITIES = ("space", "network_anonymous", "network_named")
#: The contact fields a member may fill in, each shown to the members of the space or not.
CONTACT_KINDS = ("email", "phone", "website", "linkedin", "mastodon")
SKILL_LEVELS = ("debutant", "confirme", "expert")


class Member(Base):
    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="member")
    status: Mapped[str] = mapped_column(String(16), default=MemberStatus.PENDING)
    display_name: Mapped[str] = mapped_column(String(80))
    headline: Mapped[str] = mapped_column(String(140), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    trade_id: Mapped[str | None] = mapped_column(String(64))
    open_to_help: Mapped[bool] = mapped_column(Boolean, default=False)
    open_to_paid: Mapped[bool] = mapped_column(Boolean, default=False)
    open_to_barter: Mapped[bool] = mapped_column(Boolean, default=False)
    visibility: Mapped[str] = mapped_column(String(24), default="space")
    photo_filename: Mapped[str | None] = mapped_column(String(80))
    locale: Mapped[str | None] = mapped_column(String(8))
    search_keys: Mapped[str] = mapped_column(Text, default="")
    #: Bumped on password change or suspension: older sessions stop working.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    skills: Mapped[list[MemberSkill]] = relationship(
        back_populates="member", cascade="all, delete-orphan", order_by="MemberSkill.id"
    )
    languages: Mapped[list[MemberLanguage]] = relationship(
        cascade="all, delete-orphan", order_by="MemberLanguage.code"
    )
    contacts: Mapped[list[MemberContact]] = relationship(
        cascade="all, delete-orphan", order_by="MemberContact.kind"
    )

    @property
    def is_manager(self) -> bool:
        return self.role == "manager"

    @property
    def is_active(self) -> bool:
        return self.status == MemberStatus.ACTIVE

    @property
    def language_codes(self) -> list[str]:
        return [lang.code for lang in self.languages]


class MemberSkill(Base):
    """A skill as the member typed it, normalised to a thesaurus concept or a free tag."""

    __tablename__ = "member_skills"
    __table_args__ = (UniqueConstraint("member_id", "skill_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    #: ``concept:<id>`` or ``tag:<folded text>``: one row per skill and member.
    skill_key: Mapped[str] = mapped_column(String(140), index=True)
    concept_id: Mapped[str | None] = mapped_column(String(64), index=True)
    tag: Mapped[str] = mapped_column(String(120))
    label: Mapped[str] = mapped_column(String(120))
    level: Mapped[str] = mapped_column(String(16), default="confirme")

    member: Mapped[Member] = relationship(back_populates="skills")


class MemberLanguage(Base):
    __tablename__ = "member_languages"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(8), primary_key=True, index=True)


class MemberContact(Base):
    """A way to reach the member (phone, e-mail, website...), shown to the members of the space
    only when ``is_shown``. Local to the node: never exported to peers (docs/PRIVACY.md)."""

    __tablename__ = "member_contacts"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))
    is_shown: Mapped[bool] = mapped_column(Boolean, default=False)


class ProposalStatus(StrEnum):
    """A concept proposal's status; the values are what ``concept_proposals.status`` holds."""

    PROPOSED = "proposed"  # waiting for the thesaurus upstream; the tag is off the to-do list
    MAPPED = "mapped"  # the manager mapped the tag to a concept after all


class SkillMapping(Base):
    """The manager's decision for one free-text skill: this folded tag names that concept.

    Local to the node: normalisation reads it before the thesaurus, so every member who typed
    the tag (now or later) holds the concept, and the network export shares the concept."""

    __tablename__ = "skill_mappings"

    tag: Mapped[str] = mapped_column(String(120), primary_key=True)
    concept_id: Mapped[str] = mapped_column(String(64))
    mapped_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    mapped_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConceptProposal(Base):
    """A new concept the manager proposes for a free-text skill, to be sent upstream to the
    thesaurus (exported in the ``skills.json`` concept format)."""

    __tablename__ = "concept_proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    tag: Mapped[str] = mapped_column(String(120), unique=True)
    label_fr: Mapped[str] = mapped_column(String(120))
    label_en: Mapped[str] = mapped_column(String(120))
    group_id: Mapped[str] = mapped_column(String(64))
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default=ProposalStatus.PROPOSED)
