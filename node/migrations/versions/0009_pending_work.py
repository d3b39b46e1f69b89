"""unit of work: the work owed after a commit (pending_work)

Revision ID: 0009_pending_work
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from node.models.base import UTCDateTime

revision = "0009_pending_work"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pending_work",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reaction", sa.String(length=64), nullable=False),
        sa.Column("events_json", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_work")),
    )
    op.create_index("ix_pending_work_due", "pending_work", ["next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_pending_work_due", table_name="pending_work")
    op.drop_table("pending_work")
