"""federation: state of the periodic jobs run by the scheduler

Revision ID: 0002c_federation_jobs
Revises: 0002b_federation_rate_limits
Create Date: 2026-11-28 16:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import node.models.base

revision = "0002c_federation_jobs"
down_revision = "0002b_federation_rate_limits"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "periodic_jobs",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("first_seen_at", node.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_started_at", node.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_finished_at", node.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", node.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_outcome", sa.String(length=16), nullable=False),
        sa.Column("last_summary", sa.String(length=500), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_periodic_jobs")),
    )


def downgrade() -> None:
    op.drop_table("periodic_jobs")
