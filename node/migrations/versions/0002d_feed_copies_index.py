"""federation: drop the index of feed_copies.peer_node_id

The unique (peer_node_id, object_id) index already serves every lookup by peer (its leading
column), so the single-column index only cost a write per copy on the sync's hot path.

Revision ID: 0002d_feed_copies_index
Revises: 0002c_federation_jobs
Create Date: 2026-11-28 22:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0002d_feed_copies_index"
down_revision = "0002c_federation_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_feed_copies_peer_node_id", table_name="feed_copies")


def downgrade() -> None:
    op.create_index("ix_feed_copies_peer_node_id", "feed_copies", ["peer_node_id"], unique=False)
