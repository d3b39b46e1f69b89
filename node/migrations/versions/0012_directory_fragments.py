"""directory fragments: an anonymous member is exported as one entry per skill (``part``)

Revision ID: 0012_directory_fragments
Revises: 0008_network_fts
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_directory_fragments"
down_revision = "0008_network_fts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("network_exports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("part", sa.String(length=80), nullable=False, server_default=""))
        batch_op.drop_constraint("uq_network_exports_peer_node_id_member_id", type_="unique")
        batch_op.create_unique_constraint(
            "uq_network_exports_peer_node_id_member_id_part", ["peer_node_id", "member_id", "part"])


def downgrade() -> None:
    with op.batch_alter_table("network_exports", schema=None) as batch_op:
        batch_op.drop_constraint("uq_network_exports_peer_node_id_member_id_part", type_="unique")
        batch_op.create_unique_constraint(
            "uq_network_exports_peer_node_id_member_id", ["peer_node_id", "member_id"])
        batch_op.drop_column("part")
