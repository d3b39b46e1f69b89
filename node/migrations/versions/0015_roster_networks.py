"""rosters: networks as signed rosters, join requests, applications, peer sources

Revision ID: 0015_roster_networks
Revises: 0001_foundation
Create Date: 2026-12-06 01:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import node.models.base

UTCDateTime = node.models.base.UTCDateTime

revision = "0015_roster_networks"
down_revision = "0001_foundation"
branch_labels = ("roster",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rosters_networks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("network_id", sa.String(500), nullable=False, unique=True),
        sa.Column("slug", sa.String(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("charter", sa.Text(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("coordinators_json", sa.Text(), nullable=False),
        sa.Column("members_json", sa.Text(), nullable=False),
        sa.Column("publisher", sa.String(255), nullable=False),
        sa.Column("is_ours", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "rosters_join_requests",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("network_id", sa.String(500), nullable=False, index=True),
        sa.Column("node_id", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", UTCDateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("network_id", "node_id"),
    )
    op.create_table(
        "rosters_applications",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("network_id", sa.String(500), nullable=False, unique=True),
        sa.Column("coordinator", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "rosters_peer_sources",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("peer_node_id", sa.String(255), nullable=False, index=True),
        sa.Column("source", sa.String(500), nullable=False),
        sa.UniqueConstraint("peer_node_id", "source"),
    )


def downgrade() -> None:
    for table in ("rosters_peer_sources", "rosters_applications", "rosters_join_requests",
                  "rosters_networks"):
        op.drop_table(table)
