"""network: what the directory shares with each network's peers (per-network choices)

Revision ID: 0016_networks2_directory_choices
Revises: 0015_roster_networks
Create Date: 2026-12-06 03:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import node.models.base

UTCDateTime = node.models.base.UTCDateTime

revision = "0016_networks2_directory_choices"
down_revision = "0015_roster_networks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "network_directory_choices",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source", sa.String(500), nullable=False, unique=True),
        sa.Column("share", sa.String(16), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("network_directory_choices")
