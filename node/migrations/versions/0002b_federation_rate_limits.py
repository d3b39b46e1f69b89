"""federation: rate-limit buckets (incoming peering requests)

Revision ID: 0002b_federation_rate_limits
Revises: 0002_federation
Create Date: 2026-11-28 14:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002b_federation_rate_limits"
down_revision = "0002_federation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "federation_rate_limits",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("window_start_ms", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_federation_rate_limits")),
    )


def downgrade() -> None:
    op.drop_table("federation_rate_limits")
