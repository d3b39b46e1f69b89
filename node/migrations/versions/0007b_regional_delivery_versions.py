"""regional: versions and tombstones of remote registrations, the host's sequence

The actions on one remote registration carry a version (the member's node's ``attempt``);
the host keeps, per (origin, key), the latest version applied, a tombstone for a cancel of a
key it never saw, its own sequence of changes and whether the origin's digest is due. The
member's node keeps the host sequence of the latest answer it applied.

Revision ID: 0007b_regional_delivery_versions
Revises: 0007_regional
Create Date: 2026-12-20 10:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import node.models.base

revision = "0007b_regional_delivery_versions"
down_revision = "0007_regional"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("regional_remote_registrations") as batch:
        batch.add_column(sa.Column("host_seq", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "regional_remote_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(length=255), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("session_object_id", sa.String(length=320), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("digest_pending", sa.Boolean(), nullable=False),
        sa.Column("updated_at", node.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_regional_remote_keys")),
        sa.UniqueConstraint("origin", "idempotency_key",
                            name=op.f("uq_regional_remote_keys_origin_idempotency_key")),
    )
    with op.batch_alter_table("regional_remote_keys") as batch:
        batch.create_index(batch.f("ix_regional_remote_keys_origin"), ["origin"], unique=False)
        batch.create_index(batch.f("ix_regional_remote_keys_session_object_id"),
                           ["session_object_id"], unique=False)
        batch.create_index(batch.f("ix_regional_remote_keys_digest_pending"), ["digest_pending"],
                           unique=False)


def downgrade() -> None:
    op.drop_table("regional_remote_keys")
    with op.batch_alter_table("regional_remote_registrations") as batch:
        batch.drop_column("host_seq")
