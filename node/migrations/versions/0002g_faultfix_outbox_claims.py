"""federation: a claim on an outgoing message while one worker sends it

``outbox_messages.claimed_until_ms``: the after-commit delivery thread and the scheduler
take a row with one conditional UPDATE before sending it, so a row is never sent by two
workers at once (docs/PROTOCOL.md §7.5).

Revision ID: 0002g_faultfix_outbox_claims
Revises: 0002f_delivery_deadlines
Create Date: 2026-12-06 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002g_faultfix_outbox_claims"
down_revision = "0002f_delivery_deadlines"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_messages") as batch:
        batch.add_column(sa.Column("claimed_until_ms", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages") as batch:
        batch.drop_column("claimed_until_ms")
