"""skill curation: the manager's tag -> concept mappings and concept proposals

Revision ID: 0011_skill_curation
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import node.models.base

revision = "0011_skill_curation"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def _at(name: str) -> sa.Column:
    return sa.Column(name, node.models.base.UTCDateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "skill_mappings",
        sa.Column("tag", sa.String(length=120), nullable=False),
        sa.Column("concept_id", sa.String(length=64), nullable=False),
        sa.Column("mapped_by_id", sa.Integer(), nullable=True),
        _at("mapped_at"),
        sa.ForeignKeyConstraint(["mapped_by_id"], ["members.id"], ondelete="SET NULL",
                                name=op.f("fk_skill_mappings_mapped_by_id_members")),
        sa.PrimaryKeyConstraint("tag", name=op.f("pk_skill_mappings")),
    )
    op.create_table(
        "concept_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=120), nullable=False),
        sa.Column("label_fr", sa.String(length=120), nullable=False),
        sa.Column("label_en", sa.String(length=120), nullable=False),
        sa.Column("group_id", sa.String(length=64), nullable=False),
        sa.Column("proposed_by_id", sa.Integer(), nullable=True),
        _at("proposed_at"),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["proposed_by_id"], ["members.id"], ondelete="SET NULL",
                                name=op.f("fk_concept_proposals_proposed_by_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_concept_proposals")),
        sa.UniqueConstraint("tag", name=op.f("uq_concept_proposals_tag")),
    )


def downgrade() -> None:
    op.drop_table("concept_proposals")
    op.drop_table("skill_mappings")
