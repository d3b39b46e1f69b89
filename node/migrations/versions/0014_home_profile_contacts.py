"""home and profiles: the space's address, hours, contact and privacy notice; members' contact
fields (each shown to the space or not); consents to the privacy notice

Revision ID: 0014_home_profile_contacts
Revises: 0011_skill_curation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import node.models.base

revision = "0014_home_profile_contacts"
down_revision = "0011_skill_curation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("space", schema=None) as batch_op:
        batch_op.add_column(sa.Column("address", sa.String(length=255), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("opening_hours", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("contact_email", sa.String(length=254), nullable=False,
                                      server_default=""))
        batch_op.add_column(sa.Column("privacy_notice", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("privacy_notice_version", sa.Integer(), nullable=False,
                                      server_default="0"))
        batch_op.add_column(sa.Column("privacy_notice_updated_at",
                                      node.models.base.UTCDateTime(timezone=True), nullable=True))
    op.create_table(
        "member_contacts",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.Column("is_shown", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], ondelete="CASCADE",
                                name=op.f("fk_member_contacts_member_id_members")),
        sa.PrimaryKeyConstraint("member_id", "kind", name=op.f("pk_member_contacts")),
    )
    op.create_table(
        "privacy_consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("notice_version", sa.Integer(), nullable=False),
        sa.Column("consented_at", node.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], ondelete="CASCADE",
                                name=op.f("fk_privacy_consents_member_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_consents")),
    )
    op.create_index(op.f("ix_privacy_consents_member_id"), "privacy_consents", ["member_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_privacy_consents_member_id"), table_name="privacy_consents")
    op.drop_table("privacy_consents")
    op.drop_table("member_contacts")
    with op.batch_alter_table("space", schema=None) as batch_op:
        for name in ("privacy_notice_updated_at", "privacy_notice_version", "privacy_notice",
                     "contact_email", "opening_hours", "address"):
            batch_op.drop_column(name)
