"""network pass: kiosk sessions at the front desk; an erased member's passes outlive the
account (member_id set to NULL) until their revocation is on the feed

Revision ID: 0016_passes2_kiosk_erasure
Revises: 0015_passes_network_pass
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import node.models.base

revision = "0016_passes2_kiosk_erasure"
down_revision = "0015_passes_network_pass"
branch_labels = None
depends_on = None

_FK = "fk_pass_issued_member_id_members"


def upgrade() -> None:
    op.create_table(
        "pass_kiosks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=False),
        sa.Column("opened_at", node.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", node.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", node.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["opened_by_id"], ["members.id"], name=op.f("fk_pass_kiosks_opened_by_id_members"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pass_kiosks")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_pass_kiosks_token_hash")),
    )
    op.create_index(op.f("ix_pass_kiosks_opened_by_id"), "pass_kiosks", ["opened_by_id"])
    with op.batch_alter_table("pass_issued", schema=None) as batch_op:
        batch_op.drop_constraint(_FK, type_="foreignkey")
        batch_op.alter_column("member_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key(_FK, "members", ["member_id"], ["id"], ondelete="SET NULL")


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM pass_issued WHERE member_id IS NULL"))
    with op.batch_alter_table("pass_issued", schema=None) as batch_op:
        batch_op.drop_constraint(_FK, type_="foreignkey")
        batch_op.alter_column("member_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(_FK, "members", ["member_id"], ["id"], ondelete="CASCADE")
    op.drop_index(op.f("ix_pass_kiosks_opened_by_id"), table_name="pass_kiosks")
    op.drop_table("pass_kiosks")
