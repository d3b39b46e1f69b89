"""federation: a peer's hint is recorded on its row (``pull_requested_ms``)

A ``feed.hint`` no longer starts a pull inside the web request: it records, durably and
coalesced, that the peer asked to be pulled; the scheduler's short loop pulls it.

Revision ID: 0002e_peer_pull_requested
Revises: 0002d_feed_copies_index
Create Date: 2026-12-05 21:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002e_peer_pull_requested"
down_revision = "0002d_feed_copies_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("peers") as batch:
        batch.add_column(sa.Column("pull_requested_ms", sa.BigInteger(), nullable=False,
                                   server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("peers") as batch:
        batch.drop_column("pull_requested_ms")
