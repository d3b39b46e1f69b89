"""federation: delivery deadlines per outgoing message, the clock skew a peer measured

An outgoing inbox message is retried through transient failures until ``deliver_until_ms``
(set by its sender) instead of a fixed number of attempts; a peer that refuses a request for
its date tells its clock, kept on the peer's row for the manager.

Revision ID: 0002f_delivery_deadlines
Revises: 0002e_peer_pull_requested
Create Date: 2026-12-20 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import node.models.base

revision = "0002f_delivery_deadlines"
down_revision = "0002e_peer_pull_requested"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_messages") as batch:
        batch.add_column(sa.Column("deliver_until_ms", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("peers") as batch:
        batch.add_column(sa.Column("clock_skew_ms", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("clock_skew_at", node.models.base.UTCDateTime(timezone=True),
                                   nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("peers") as batch:
        batch.drop_column("clock_skew_at")
        batch.drop_column("clock_skew_ms")
    with op.batch_alter_table("outbox_messages") as batch:
        batch.drop_column("deliver_until_ms")
